import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSpec, type Spec } from '@c/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { hostConfigOf, mergeConfig } from './config';
import { ContainerNetworking } from './networking';
import { newRecord } from './record';
import { buildSpec } from './spec';
import type { CreateContainerOptions } from './types';

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

describe('--network container:<ref> takes over the joined container\'s /etc files and host name', () => {
  const networking = new ContainerNetworking(undefined);
  const id = 'b'.repeat(64);

  it('rewrites the bundle spec (namespace path, /etc bind sources, hostname, HOSTNAME) and the record at start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'c-joined-'));
    try {
      const own = { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') };
      const web = { hostname: '/c/web/hostname', hosts: '/c/web/hosts', resolvConf: '/c/web/resolv.conf' };
      const options = { image: 'x', networkMode: 'container:web', cmd: ['sh'] };
      const config = mergeConfig(undefined, 'x', id, options);
      const hostConfig = hostConfigOf(options);
      const rootfsMounts = [{ type: 'overlay', source: 'overlay', options: ['lowerdir=/l', 'upperdir=/u', 'workdir=/w'] }];
      const spec = buildSpec({ id, config, hostConfig, rootfsMounts, user: { uid: 0, gid: 0, additionalGids: [], home: '/root' }, files: own, rootPath: 'rootfs' });
      const bundle = join(dir, 'bundle');
      mkdirSync(bundle);
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
      const record = newRecord({ id, name: '/side', created: new Date(0), imageId: 'sha256:x', config, hostConfig, dir, files: own, driver: 'overlay', mounts: rootfsMounts, snapshotKey: 'k', parentChainId: undefined });
      const lookup = (ref: string) => (ref === 'web' ? { id: 'a'.repeat(64), path: '/proc/42/ns/net', hostname: 'alpha', domainname: 'corp', files: web } : undefined);

      networking.refreshJoinedNamespace(record, bundle, lookup);

      const rewritten = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as Spec;
      expect(rewritten.linux?.namespaces?.filter((n) => n.type === 'network')).toEqual([{ type: 'network', path: '/proc/42/ns/net' }]);
      const etc = Object.fromEntries((rewritten.mounts ?? []).filter((m) => m.destination.startsWith('/etc/')).map((m) => [m.destination, m.source]));
      expect(etc).toEqual({ '/etc/hostname': web.hostname, '/etc/hosts': web.hosts, '/etc/resolv.conf': web.resolvConf });
      expect(rewritten.hostname).toBe('alpha');
      expect(rewritten.process?.env).toContain('HOSTNAME=alpha');
      expect(rewritten.process?.env?.filter((e) => e.startsWith('HOSTNAME='))).toHaveLength(1);
      expect([record.HostnamePath, record.HostsPath, record.ResolvConfPath]).toEqual([web.hostname, web.hosts, web.resolvConf]);
      expect([record.Config.Hostname, record.Config.Domainname]).toEqual(['alpha', 'corp']);
      // The joined container is gone: the start fails with the reason, the spec stays as it was.
      expect(() => networking.refreshJoinedNamespace({ ...record, HostConfig: { ...hostConfig, NetworkMode: 'container:gone' } }, bundle, lookup)).toThrow(/not running/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--network container:<ref> refuses what it would override, with docker\'s words', () => {
  const networking = new ContainerNetworking(undefined);
  const id = 'c'.repeat(64);
  const dir = mkdtempSync(join(tmpdir(), 'c-joined-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const files = (options: Partial<CreateContainerOptions>) => {
    const all = { image: 'x', cmd: ['sh'], networkMode: 'container:web', ...options };
    return networking.writeFiles({ Id: id, Name: '/side', Config: mergeConfig(undefined, 'x', id, all), HostConfig: hostConfigOf(all) }, dir);
  };

  it('hostname, dns, add-host and published ports conflict; the defaults do not', async () => {
    await expect(files({})).resolves.toMatchObject({ hosts: join(dir, 'hosts') });
    await expect(files({ networkMode: 'none', hostname: 'box', dns: ['1.1.1.1'] })).resolves.toBeDefined();
    await expect(files({ hostname: 'box' })).rejects.toThrow('conflicting options: hostname and the network mode');
    await expect(files({ dns: ['1.1.1.1'] })).rejects.toThrow('conflicting options: dns and the network mode');
    await expect(files({ extraHosts: ['db:10.0.0.2'] })).rejects.toThrow('conflicting options: custom host-to-IP mapping and the network mode');
    await expect(files({ portBindings: { '80/tcp': [{ HostPort: '8080' }] } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'conflicting options: port publishing and the container type network mode',
    });
    await expect(files({ publishAllPorts: true })).rejects.toThrow(/port publishing/);
  });
});
