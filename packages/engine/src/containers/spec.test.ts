import { isCError } from '@c/errors';
import type { Mount } from '@c/layers';
import { DOCKER_DEFAULT_CAPABILITIES, ROOTFS_MOUNT_ANNOTATION } from '@c/runtime';
import { describe, expect, it } from 'vitest';
import { commandOf, DEFAULT_PATH, hostConfigOf, mergeConfig, mergeEnv } from './config';
import { applyCapabilityEdits, buildSpec } from './spec';
import type { CreateContainerOptions } from './types';
import { resolveUser, type ResolvedUser } from './user';

const ID = 'ab'.repeat(32);
const IMAGE = {
  Env: ['PATH=/custom/bin:/bin', 'LANG=C', 'MODE=image'],
  Cmd: ['nginx', '-g', 'daemon off;'],
  Entrypoint: ['/docker-entrypoint.sh'],
  WorkingDir: '/srv',
  User: 'www',
  ExposedPorts: { '80/tcp': {} },
  Labels: { maintainer: 'x', tier: 'image' },
  StopSignal: 'SIGQUIT',
  Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9 },
} as const;
const OVERLAY: Mount[] = [{ type: 'overlay', source: 'overlay', options: ['index=off', 'workdir=/s/2/work', 'upperdir=/s/2/fs', 'lowerdir=/s/1/fs'] }];

function merged(options: Partial<CreateContainerOptions> = {}) {
  return mergeConfig(structuredClone(IMAGE) as never, 'nginx:latest', ID, { image: 'nginx:latest', ...options });
}

function spec(options: Partial<CreateContainerOptions> = {}, user: ResolvedUser = { uid: 0, gid: 0, additionalGids: [], home: '/root' }) {
  const opts = { image: 'nginx:latest', ...options };
  return buildSpec({ id: ID, config: merged(options), hostConfig: hostConfigOf(opts), rootfsMounts: OVERLAY, user, rootPath: 'rootfs' });
}

describe('image config + run options → Config', () => {
  it('takes the image config when no option overrides it', () => {
    const c = merged();
    expect(c.Entrypoint).toEqual(['/docker-entrypoint.sh']);
    expect(c.Cmd).toEqual(['nginx', '-g', 'daemon off;']);
    expect(c.WorkingDir).toBe('/srv');
    expect(c.User).toBe('www');
    expect(c.Env).toEqual(['PATH=/custom/bin:/bin', 'LANG=C', 'MODE=image']);
    expect(c.Hostname).toBe(ID.slice(0, 12));
    expect(c.ExposedPorts).toEqual({ '80/tcp': {} });
    expect(c.StopSignal).toBe('SIGQUIT');
    expect(c.Healthcheck?.Test).toEqual(['CMD', 'true']);
    expect(commandOf(c)).toEqual({ path: '/docker-entrypoint.sh', args: ['nginx', '-g', 'daemon off;'] });
  });

  it('options override: cmd replaces Cmd, entrypoint resets Cmd, env merges by key, labels merge', () => {
    expect(merged({ cmd: ['sh'] }).Cmd).toEqual(['sh']);
    expect(merged({ cmd: ['sh'] }).Entrypoint).toEqual(['/docker-entrypoint.sh']);
    const e = merged({ entrypoint: ['/bin/echo'] });
    expect(e.Entrypoint).toEqual(['/bin/echo']);
    expect(e.Cmd).toBeNull();
    expect(merged({ entrypoint: ['/bin/echo'], cmd: ['x'] }).Cmd).toEqual(['x']);
    expect(merged({ entrypoint: [] , cmd: ['ls'] }).Entrypoint).toBeNull();
    const c = merged({ env: ['MODE=run', 'NEW=1'], labels: { tier: 'run', extra: 'y' }, user: '1000:50', workingDir: '/tmp', hostname: 'box' });
    expect(c.Env).toEqual(['PATH=/custom/bin:/bin', 'LANG=C', 'MODE=run', 'NEW=1']);
    expect(c.Labels).toEqual({ maintainer: 'x', tier: 'run', extra: 'y' });
    expect(c.User).toBe('1000:50');
    expect(c.WorkingDir).toBe('/tmp');
    expect(c.Hostname).toBe('box');
  });

  it('adds a default PATH when the image has none, and refuses an image without any command', () => {
    const c = mergeConfig({ Cmd: ['sh'] }, 'busybox', ID, { image: 'busybox' });
    expect(c.Env).toEqual([DEFAULT_PATH]);
    let error: unknown;
    try {
      mergeConfig({}, 'scratchy', ID, { image: 'scratchy' });
    } catch (e) {
      error = e;
    }
    expect(isCError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(mergeEnv(['A=1', 'B=2'], ['A=3'])).toEqual(['A=3', 'B=2']);
  });

  it('HostConfig: binds, restart policy, resources, and conflicting --rm with --restart', () => {
    const h = hostConfigOf({ image: 'x', binds: ['/data:/data:ro'], restartPolicy: 'on-failure:3', memory: 64 * 1024 * 1024, cpus: 1.5, pidsLimit: 50 });
    expect(h.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
    expect(h.NanoCpus).toBe(1.5e9);
    expect(h.Binds).toEqual(['/data:/data:ro']);
    expect(() => hostConfigOf({ image: 'x', autoRemove: true, restartPolicy: 'always' })).toThrow(/Conflicting options/);
    expect(() => hostConfigOf({ image: 'x', binds: ['relative:/x'] })).toThrow(/invalid volume specification/);
    expect(() => hostConfigOf({ image: 'x', binds: ['/a:/b:rx'] })).toThrow(/unknown mode/);
    expect(() => hostConfigOf({ image: 'x', memory: 1024 })).toThrow(/Minimum memory limit/);
  });
});

describe('Config → OCI spec', () => {
  it('process: args, env (+HOSTNAME, HOME), cwd, user, docker capabilities, no no_new_privs', () => {
    const s = spec({}, { uid: 101, gid: 101, additionalGids: [5], home: '/var/www' });
    expect(s.process?.args).toEqual(['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
    expect(s.process?.env).toEqual(['PATH=/custom/bin:/bin', 'LANG=C', 'MODE=image', `HOSTNAME=${ID.slice(0, 12)}`, 'HOME=/var/www']);
    expect(s.process?.cwd).toBe('/srv');
    expect(s.process?.user).toEqual({ uid: 101, gid: 101, additionalGids: [5] });
    expect(s.process?.terminal).toBe(false);
    expect(s.process?.capabilities?.bounding).toEqual([...DOCKER_DEFAULT_CAPABILITIES]);
    expect(s.process?.noNewPrivileges).toBe(false);
    expect(s.hostname).toBe(ID.slice(0, 12));
  });

  it('rootfs comes from the snapshot mount as an annotation; read-only rootfs on request', () => {
    const s = spec();
    expect(s.root).toEqual({ path: 'rootfs', readonly: false });
    expect(JSON.parse(s.annotations![ROOTFS_MOUNT_ANNOTATION]!)).toEqual({ type: 'overlay', source: 'overlay', options: OVERLAY[0]!.options });
    expect(spec({ readOnly: true }).root?.readonly).toBe(true);
    expect(() =>
      buildSpec({ id: ID, config: merged(), hostConfig: hostConfigOf({ image: 'x' }), rootfsMounts: [], user: resolveUser('', '', ''), rootPath: 'rootfs' }),
    ).toThrow(/needs 0 mounts/);
  });

  it('binds, resources, cgroup path, tty', () => {
    const s = spec({ binds: ['/host/data:/data:ro', '/host/rw:/rw'], memory: 128 * 1024 * 1024, cpus: 0.5, pidsLimit: 20, tty: true });
    const binds = s.mounts!.filter((m) => m.type === 'bind');
    expect(binds).toEqual([
      { destination: '/data', type: 'bind', source: '/host/data', options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/rw', type: 'bind', source: '/host/rw', options: ['rbind', 'rw', 'rprivate'] },
    ]);
    expect(s.linux?.resources?.memory).toEqual({ limit: 128 * 1024 * 1024 });
    expect(s.linux?.resources?.cpu).toEqual({ period: 100_000, quota: 50_000 });
    expect(s.linux?.resources?.pids).toEqual({ limit: 20 });
    expect(s.linux?.cgroupsPath).toBe(`/c/${ID}`);
    expect(s.process?.terminal).toBe(true);
    expect(s.process?.env).toContain('TERM=xterm');
  });

  it('a relative working directory is refused', () => {
    expect(() => spec({ workingDir: 'srv' })).toThrow(/needs to be an absolute path/);
  });

  it('capability edits follow docker: add, drop, ALL', () => {
    expect(applyCapabilityEdits(['NET_ADMIN'], [])).toContain('CAP_NET_ADMIN');
    expect(applyCapabilityEdits([], ['chown'])).not.toContain('CAP_CHOWN');
    expect(applyCapabilityEdits(['CAP_SYS_TIME'], ['ALL'])).toEqual(['CAP_SYS_TIME']);
    expect(applyCapabilityEdits(['ALL'], ['SYS_ADMIN'])).not.toContain('CAP_SYS_ADMIN');
    expect(applyCapabilityEdits(['ALL'], []).length).toBeGreaterThan(DOCKER_DEFAULT_CAPABILITIES.length);
    expect(() => applyCapabilityEdits(['FLY'], [])).toThrow(/unknown capability/);
  });
});

describe('users from the image', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/sh\nwww:x:101:102:web:/var/www:/sbin/nologin\n';
  const group = 'root:x:0:\nwww:x:102:\nlog:x:4:www\nstaff:x:50:\n';
  it('resolves names, numbers and groups', () => {
    expect(resolveUser('', passwd, group)).toEqual({ uid: 0, gid: 0, additionalGids: [], home: '/root' });
    expect(resolveUser('www', passwd, group)).toEqual({ uid: 101, gid: 102, additionalGids: [4], home: '/var/www' });
    expect(resolveUser('101:staff', passwd, group)).toMatchObject({ uid: 101, gid: 50 });
    expect(resolveUser('4242', passwd, group)).toMatchObject({ uid: 4242, gid: 0, home: '/' });
    expect(resolveUser('4242:7', undefined, undefined)).toMatchObject({ uid: 4242, gid: 7 });
    expect(() => resolveUser('nobody', passwd, group)).toThrow(/unable to find user nobody/);
    expect(() => resolveUser('www:nogroup', passwd, group)).toThrow(/unable to find group nogroup/);
  });
});
