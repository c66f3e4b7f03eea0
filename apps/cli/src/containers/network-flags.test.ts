import { describe, expect, it } from 'vitest';
import type { ContainerCreateRequest } from '@c/api';
import { portLines } from '../commands/network-actions';
import { splitContainerCommand } from '../argv-split';
import { createBody } from './create-body';
import { applyNetworkFlags, networkFlagsFrom, publishBindings } from './network-flags';

describe('-p / -P / --network flags', () => {
  it('publishBindings follows docker: host port, host ip, random, udp, ranges', () => {
    expect(publishBindings('8080:80')).toEqual([['80/tcp', { HostIp: '', HostPort: '8080' }]]);
    expect(publishBindings('80')).toEqual([['80/tcp', { HostIp: '', HostPort: '' }]]);
    expect(publishBindings('127.0.0.1::53/udp')).toEqual([['53/udp', { HostIp: '127.0.0.1', HostPort: '' }]]);
    expect(publishBindings('8000-8001:80-81')).toEqual([
      ['80/tcp', { HostIp: '', HostPort: '8000' }],
      ['81/tcp', { HostIp: '', HostPort: '8001' }],
    ]);
    expect(publishBindings('9000-9010:80')).toEqual([['80/tcp', { HostIp: '', HostPort: '9000-9010' }]]);
    expect(() => publishBindings('8000-8002:80-81')).toThrow(/invalid publish spec/);
    expect(() => publishBindings('x:80')).toThrow(/invalid publish spec/);
  });

  it('maps the flags into the create body (ExposedPorts, PortBindings, NetworkMode, DNS, aliases)', () => {
    const argv = { publish: ['8080:80', '53/udp'], 'publish-all': true, network: 'front', 'network-alias': ['web'], dns: ['1.1.1.1'], 'add-host': ['db:10.0.0.2'] };
    const body = createBody({ image: 'busybox', command: [], network: networkFlagsFrom(argv) });
    expect(body.ExposedPorts).toEqual({ '80/tcp': {}, '53/udp': {} });
    expect(body.HostConfig).toEqual({
      PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '', HostPort: '' }] },
      PublishAllPorts: true,
      NetworkMode: 'front',
      Dns: ['1.1.1.1'],
      ExtraHosts: ['db:10.0.0.2'],
    });
    expect(body.NetworkingConfig).toEqual({ EndpointsConfig: { front: { Aliases: ['web'] } } });
    const none: ContainerCreateRequest = { Image: 'x' };
    applyNetworkFlags(none, {}, networkFlagsFrom({}));
    expect(none).toEqual({ Image: 'x' });
  });

  it('argv-split knows -p and --network take a value', () => {
    expect(splitContainerCommand(['run', '-p', '8080:80', '--network', 'front', 'busybox', 'httpd', '-f'])).toEqual(['run', '-p', '8080:80', '--network', 'front', 'busybox', '--', 'httpd', '-f']);
  });

  it('c port lines', () => {
    const ports = { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '32768' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }], '443/tcp': null };
    expect(portLines(ports)).toEqual(['53/udp -> 127.0.0.1:5353', '80/tcp -> 0.0.0.0:32768']);
    expect(portLines(ports, '80')).toEqual(['0.0.0.0:32768']);
    expect(portLines(ports, '443')).toEqual([]);
  });
});
