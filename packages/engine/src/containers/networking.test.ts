import { defaultSpec } from '@c/runtime';
import { describe, expect, it } from 'vitest';
import { hostConfigOf } from './config';
import { ContainerNetworking } from './networking';

describe('ContainerNetworking without a NetworkService', () => {
  const networking = new ContainerNetworking(undefined);
  const lookup = (ref: string) => (ref === 'web' ? { id: 'a'.repeat(64), path: '/proc/42/ns/net' } : undefined);

  it('defaults to none; bridge and user networks are refused with a reason', () => {
    expect(networking.defaultMode).toBe('none');
    expect(hostConfigOf({ image: 'x' }, networking.defaultMode).NetworkMode).toBe('none');
    expect(hostConfigOf({ image: 'x', networkMode: 'default' }, 'bridge').NetworkMode).toBe('bridge');
    expect(() => networking.plan('bridge', lookup)).toThrow(/without networking/);
    expect(() => networking.plan('mynet', lookup)).toThrow(/without networking/);
  });

  it('puts the plan into the spec: a new namespace, none for host, a path for container:<ref>', () => {
    const namespacesOf = (mode: string) => {
      const spec = defaultSpec({ args: ['sh'] });
      networking.applyToSpec(spec, networking.plan(mode, lookup));
      return spec.linux?.namespaces?.filter((n) => n.type === 'network');
    };
    expect(namespacesOf('none')).toEqual([{ type: 'network' }]);
    expect(namespacesOf('host')).toEqual([]);
    expect(namespacesOf('container:web')).toEqual([{ type: 'network', path: '/proc/42/ns/net' }]);
    expect(() => namespacesOf('container:gone')).toThrow(/not running/);
  });

  it('keeps PortBindings, DNS and extra hosts in HostConfig', () => {
    const hc = hostConfigOf({ image: 'x', portBindings: { '80/tcp': [{ HostPort: '8080' }] }, publishAllPorts: true, dns: ['1.1.1.1'], extraHosts: ['db:10.0.0.2'] }, 'bridge');
    expect(hc.PortBindings).toEqual({ '80/tcp': [{ HostPort: '8080' }] });
    expect(hc.PublishAllPorts).toBe(true);
    expect(hc.Dns).toEqual(['1.1.1.1']);
    expect(hc.ExtraHosts).toEqual(['db:10.0.0.2']);
  });
});
