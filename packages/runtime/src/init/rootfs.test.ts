import { lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MNT, MS, RecordingSyscalls } from '@c/namespaces';
import type { PathKind, RootfsConfig } from './rootfs';
import { setupRootfs, withDefaultMounts } from './rootfs';

let dir: string;
let rootfs: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-runtime-rootfs-'));
  rootfs = join(dir, 'rootfs');
  mkdirSync(rootfs);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function config(edit: Partial<RootfsConfig> = {}): RootfsConfig {
  return {
    bundle: dir,
    rootfs,
    mounts: [],
    readonly: false,
    maskedPaths: ['/proc/kcore', '/sys/firmware', '/proc/missing'],
    readonlyPaths: ['/proc/sys'],
    devices: [],
    hostname: 'box',
    ...edit,
  };
}

const kinds: Record<string, PathKind> = { '/proc/kcore': 'file', '/sys/firmware': 'dir', '/proc/sys': 'dir' };
const kindOf = (path: string): PathKind => kinds[path] ?? 'missing';

function mounts(sys: RecordingSyscalls): string[] {
  return sys.callsOf('mount').map(([source, target, fstype, flags]) => `${(source ?? '-').replace(dir, '$B')} ${target.replace(dir, '$B')} ${fstype ?? '-'} ${flags}`);
}

describe('setupRootfs', () => {
  it('runs the whole plan in order: propagation, rootfs bind, defaults, devices, hostname, pivot, masks', () => {
    const sys = new RecordingSyscalls();
    setupRootfs(sys, config({ readonly: true }), kindOf);
    const names = sys.names();
    // pivot after every mount into the rootfs and before masking.
    const pivot = names.indexOf('pivotRoot');
    expect(names.indexOf('sethostname')).toBeLessThan(pivot);
    expect(names.lastIndexOf('mknod')).toBeLessThan(pivot);
    expect(sys.callsOf('sethostname')).toEqual([['box']]);
    expect(sys.callsOf('pivotRoot')).toEqual([['.', '.']]);
    expect(sys.callsOf('umount2')).toEqual([['.', MNT.DETACH]]);
    expect(mounts(sys)).toEqual([
      `- / - ${MS.SLAVE | MS.REC}`,
      `$B/rootfs $B/rootfs - ${MS.BIND | MS.REC}`,
      `proc $B/rootfs/proc proc ${MS.NOSUID | MS.NOEXEC | MS.NODEV}`,
      `tmpfs $B/rootfs/dev tmpfs ${MS.NOSUID | MS.STRICTATIME}`,
      `devpts $B/rootfs/dev/pts devpts ${MS.NOSUID | MS.NOEXEC}`,
      `shm $B/rootfs/dev/shm tmpfs ${MS.NOSUID | MS.NOEXEC | MS.NODEV}`,
      `mqueue $B/rootfs/dev/mqueue mqueue ${MS.NOSUID | MS.NOEXEC | MS.NODEV}`,
      `sysfs $B/rootfs/sys sysfs ${MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY}`,
      `- . - ${MS.SLAVE | MS.REC}`,
      `/proc/sys /proc/sys - ${MS.BIND | MS.REC}`,
      `/proc/sys /proc/sys - ${MS.BIND | MS.REMOUNT | MS.RDONLY | MS.REC | MS.NOSUID | MS.NODEV | MS.NOEXEC}`,
      `/dev/null /proc/kcore - ${MS.BIND}`,
      `tmpfs /sys/firmware tmpfs ${MS.RDONLY}`,
      `- / - ${MS.BIND | MS.REMOUNT | MS.RDONLY}`,
    ]);
  });

  it('creates the default devices and /dev symlinks inside the rootfs', () => {
    const sys = new RecordingSyscalls();
    setupRootfs(sys, config(), kindOf);
    expect(sys.callsOf('mknod').map(([path]) => path.replace(rootfs, ''))).toEqual(['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']);
    // Each node gets its mode again after mknod, which the umask would otherwise have narrowed.
    expect(sys.callsOf('chmod').map(([path, mode]) => `${path.replace(rootfs, '')} ${mode.toString(8)}`)).toEqual(['/dev/null 666', '/dev/zero 666', '/dev/full 666', '/dev/random 666', '/dev/urandom 666', '/dev/tty 666']);
    const names = sys.names();
    expect(names.indexOf('chmod')).toBe(names.indexOf('mknod') + 1);
    expect(readlinkSync(join(rootfs, 'dev/ptmx'))).toBe('pts/ptmx');
    expect(readlinkSync(join(rootfs, 'dev/stdin'))).toBe('/proc/self/fd/0');
  });

  it('gives spec devices their fileMode and owner after mknod', () => {
    const sys = new RecordingSyscalls();
    setupRootfs(sys, config({ devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 1000, gid: 1000 }] }), kindOf);
    const fuse = (name: 'chmod' | 'lchown') => sys.callsOf(name).filter(([path]) => path.endsWith('/dev/fuse'));
    expect(fuse('chmod').map(([, mode]) => mode)).toEqual([0o600]);
    expect(fuse('lchown').map(([, uid, gid]) => [uid, gid])).toEqual([[1000, 1000]]);
    // Root-owned defaults need no chown.
    expect(sys.callsOf('lchown')).toHaveLength(1);
  });

  it('falls back to bind-mounting host devices when mknod is refused', () => {
    const sys = new RecordingSyscalls().failOn('mknod', 'EPERM');
    setupRootfs(sys, config(), kindOf);
    expect(mounts(sys)).toContain(`/dev/null $B/rootfs/dev/null - ${MS.BIND}`);
    expect(lstatSync(join(rootfs, 'dev/null')).isFile()).toBe(true);
  });

  it('mounts an overlay rootfs instead of binding the directory', () => {
    const sys = new RecordingSyscalls();
    setupRootfs(sys, config({ rootfsMount: { destination: '/', type: 'overlay', source: 'overlay', options: ['lowerdir=/l', 'upperdir=/u', 'workdir=/w'] } }), kindOf);
    expect(sys.callsOf('mount')[1]).toEqual(['overlay', rootfs, 'overlay', 0, 'lowerdir=/l,upperdir=/u,workdir=/w']);
  });

  it('binds a file source onto a created file and remounts read-only for "ro"', () => {
    const source = join(dir, 'hosts');
    writeFileSync(source, '127.0.0.1 x\n');
    const sys = new RecordingSyscalls();
    setupRootfs(sys, config({ mounts: [{ destination: '/etc/hosts', type: 'bind', source: 'hosts', options: ['rbind', 'ro'] }] }), kindOf);
    expect(lstatSync(join(rootfs, 'etc/hosts')).isFile()).toBe(true);
    expect(mounts(sys)).toContain(`$B/hosts $B/rootfs/etc/hosts - ${MS.BIND | MS.REC}`);
    expect(mounts(sys)).toContain(`$B/hosts $B/rootfs/etc/hosts - ${MS.BIND | MS.REMOUNT | MS.RDONLY}`);
  });

  it('keeps a mount destination inside the rootfs when the image has a symlink pointing out', () => {
    symlinkSync('/etc', join(rootfs, 'escape'));
    const sys = new RecordingSyscalls();
    setupRootfs(sys, config({ mounts: [{ destination: '/escape/data', type: 'tmpfs', source: 'tmpfs' }] }), kindOf);
    expect(mounts(sys)).toContain(`tmpfs $B/rootfs/etc/data tmpfs 0`);
  });

  it('stops at the first failing mount and reports the syscall and target', () => {
    const sys = new RecordingSyscalls().failOn('mount', 'EINVAL', { when: (args) => args[2] === 'mqueue' });
    expect(() => setupRootfs(sys, config(), kindOf)).toThrow(/mount.*EINVAL/);
    expect(sys.names()).not.toContain('pivotRoot');
  });
});

describe('withDefaultMounts', () => {
  it('adds the missing defaults and keeps /dev before /dev/pts even when the spec lists /dev last', () => {
    const list = withDefaultMounts([{ destination: '/data', type: 'tmpfs' }, { destination: '/dev', type: 'tmpfs', options: ['size=1m'] }]);
    expect(list.map((m) => m.destination)).toEqual(['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/data']);
    expect(list[1]!.options).toEqual(['size=1m']);
  });
});
