import { closeSync, existsSync, lstatSync, mkdirSync, openSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { CError } from '@c/errors';
import { MNT, MS, S_IF, isSyscallError, makedev } from '@c/namespaces';
import type { Syscalls } from '@c/namespaces';
import type { SpecDevice, SpecMount } from '../spec/types';
import { mountCgroupTree } from './cgroup-mount';
import { parseMountOptions, rootfsPropagationFlags } from './mount-options';
import { secureJoin } from './secure-join';

/** Everything the init needs to build the container's filesystem view. Paths are host paths. */
export interface RootfsConfig {
  bundle: string;
  /** Absolute path of root.path. */
  rootfs: string;
  /** Mounted on `rootfs` first (overlay etc.); without it, rootfs is bind-mounted onto itself. */
  rootfsMount?: SpecMount | undefined;
  mounts: readonly SpecMount[];
  readonly: boolean;
  rootfsPropagation?: string | undefined;
  maskedPaths: readonly string[];
  readonlyPaths: readonly string[];
  devices: readonly SpecDevice[];
  /** Slave side of the container's pty, bind-mounted on /dev/console. */
  consolePath?: string | undefined;
  hostname?: string | undefined;
  domainname?: string | undefined;
  sysctl?: Readonly<Record<string, string>> | undefined;
  /**
   * Mount procfs for this pid namespace (`pidns=`, Linux 6.18) instead of the mounting task's: a one-process `run`
   * builds the rootfs from outside the container's pid namespace.
   */
  procPidNamespace?: string | undefined;
  /** Called right before a cgroup mount (a one-process `run` joins the container's cgroup namespace there). */
  beforeCgroupMount?: (() => void) | undefined;
}

/** The file kind at a path, injectable so masking can be planned in tests without the host's /proc. */
export type PathKind = 'dir' | 'file' | 'missing';
export function realPathKind(path: string): PathKind {
  try {
    return lstatSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}

/** Devices every container gets (OCI runtime-spec "Default Devices"). */
export const DEFAULT_DEVICES: readonly SpecDevice[] = [
  { type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: 0o666 },
  { type: 'c', path: '/dev/zero', major: 1, minor: 5, fileMode: 0o666 },
  { type: 'c', path: '/dev/full', major: 1, minor: 7, fileMode: 0o666 },
  { type: 'c', path: '/dev/random', major: 1, minor: 8, fileMode: 0o666 },
  { type: 'c', path: '/dev/urandom', major: 1, minor: 9, fileMode: 0o666 },
  { type: 'c', path: '/dev/tty', major: 5, minor: 0, fileMode: 0o666 },
];

const DEV_SYMLINKS: readonly [string, string][] = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
  ['pts/ptmx', '/dev/ptmx'],
];

/** The /dev family and /proc, /sys that a container always gets; a spec mount at the same destination wins. */
export const DEFAULT_MOUNTS: readonly SpecMount[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
];

/** The spec's mounts with the defaults added in front of the ones they must precede. */
export function withDefaultMounts(mounts: readonly SpecMount[]): SpecMount[] {
  const wanted = new Set(mounts.map((m) => m.destination.replace(/\/+$/, '')));
  // If /dev itself is a bind mount from the host, don't layer pts/shm/mqueue defaults on it.
  const devIsBind = mounts.some((m) => m.destination.replace(/\/+$/, '') === '/dev' && parseMountOptions(m.options).bind);
  const defaults = DEFAULT_MOUNTS.filter((d) => !wanted.has(d.destination) && !(devIsBind && d.destination.startsWith('/dev/')));
  // Mount order matters (/dev before /dev/pts): defaults first, then the spec's in its own order, except that a
  // spec /dev must come before a default /dev/pts. Sorting stably by depth of /dev-family paths keeps both.
  const all = [...defaults, ...mounts];
  return all
    .map((m, index) => ({ m, index }))
    .sort((a, b) => devRank(a.m) - devRank(b.m) || a.index - b.index)
    .map(({ m }) => m);
}

function devRank(m: SpecMount): number {
  const d = m.destination.replace(/\/+$/, '');
  if (d === '/proc') return 0;
  if (d === '/dev') return 1;
  if (d.startsWith('/dev/')) return 2;
  return 3;
}

function mkdirp(path: string): void {
  mkdirSync(path, { recursive: true });
}

function touch(path: string): void {
  mkdirp(dirname(path));
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o644));
}

/** Step 1: private (or slave) propagation, then the rootfs becomes a mount point. */
export function mountRootfs(sys: Syscalls, config: RootfsConfig): void {
  sys.mount(null, '/', null, rootfsPropagationFlags(config.rootfsPropagation));
  const root = config.rootfsMount;
  if (root) {
    const options = parseMountOptions(root.options);
    sys.mount(root.source ?? root.type ?? 'none', config.rootfs, root.type ?? null, options.flags & ~MS.RDONLY, options.data);
  } else {
    sys.mount(config.rootfs, config.rootfs, null, MS.BIND | MS.REC);
  }
}

function bindSource(config: RootfsConfig, source: string | undefined, destination: string): string {
  if (source === undefined || source === '') {
    throw new CError('INVALID_ARGUMENT', `bind mount on ${destination} has no source`, { hint: 'set "source" to a host path' });
  }
  return isAbsolute(source) ? source : resolve(config.bundle, source);
}

/** Step 2: one spec mount, created inside the rootfs without following symlinks out of it. */
export function mountOne(sys: Syscalls, config: RootfsConfig, mount: SpecMount): void {
  const target = secureJoin(config.rootfs, mount.destination);
  const options = parseMountOptions(mount.options);
  if (options.bind || mount.type === 'bind') {
    const source = bindSource(config, mount.source, mount.destination);
    let sourceIsDir: boolean;
    try {
      sourceIsDir = statSync(source).isDirectory();
    } catch (cause) {
      throw new CError('NOT_FOUND', `bind mount source ${source} (for ${mount.destination}) does not exist`, {
        cause,
        hint: 'create the source or fix "source" in config.json',
        details: { path: source },
      });
    }
    if (sourceIsDir) mkdirp(target);
    else touch(target);
    sys.mount(source, target, null, MS.BIND | (options.recursive ? MS.REC : 0));
    // Flags like ro/nosuid on a bind mount only take effect on a remount.
    const extra = options.flags & ~MS.REMOUNT;
    if (extra !== 0) sys.mount(source, target, null, MS.BIND | MS.REMOUNT | extra);
  } else if (mount.type === 'cgroup' || mount.type === 'cgroup2') {
    config.beforeCgroupMount?.();
    mkdirp(target);
    mountCgroupTree(sys, target, options.flags, mount.type);
  } else {
    mkdirp(target);
    const pidns = mount.type === 'proc' && config.procPidNamespace !== undefined ? `pidns=${config.procPidNamespace}` : undefined;
    const data = pidns === undefined ? options.data : options.data ? `${options.data},${pidns}` : pidns;
    sys.mount(mount.source ?? mount.type ?? 'none', target, mount.type ?? null, options.flags, data);
  }
  for (const propagation of options.propagation) sys.mount(null, target, null, propagation);
}

function deviceMode(device: SpecDevice): number {
  const kinds: Record<string, number> = { c: S_IF.CHR, u: S_IF.CHR, b: S_IF.BLK, p: S_IF.FIFO };
  const kind = kinds[device.type];
  if (kind === undefined) {
    throw new CError('INVALID_ARGUMENT', `device ${device.path} has unknown type "${device.type}"`, { hint: 'use c, b, u or p' });
  }
  return kind | ((device.fileMode ?? 0o666) & 0o7777);
}

/** Step 3: device nodes and the /dev symlinks (only when /dev is a fresh tmpfs, not a host bind). */
export function populateDev(sys: Syscalls, config: RootfsConfig, devices: readonly SpecDevice[]): void {
  const byPath = new Map<string, SpecDevice>();
  for (const d of [...DEFAULT_DEVICES, ...devices]) byPath.set(d.path, d);
  for (const device of byPath.values()) {
    const target = secureJoin(config.rootfs, device.path);
    mkdirp(dirname(target));
    try {
      const mode = deviceMode(device);
      sys.mknod(target, mode, makedev(device.major ?? 0, device.minor ?? 0));
      // mknod applies the umask (0o022 → /dev/null 0644, unwritable for non-root users): set the mode explicitly.
      sys.chmod(target, mode & 0o7777);
      // The spec's owner for the node (runc applies it too); absent = root, which mknod already gave it.
      if ((device.uid ?? 0) !== 0 || (device.gid ?? 0) !== 0) sys.lchown(target, device.uid ?? 0, device.gid ?? 0);
    } catch (error) {
      // Without CAP_MKNOD (nested runtimes), bind the host's node instead, as runc does.
      if (!isSyscallError(error, 'EPERM')) throw error;
      touch(target);
      sys.mount(device.path, target, null, MS.BIND);
    }
  }
  for (const [linkTarget, path] of DEV_SYMLINKS) {
    const at = secureJoin(config.rootfs, path);
    if (realPathKind(at) === 'missing') symlinkSync(linkTarget, at);
  }
  if (config.consolePath !== undefined) {
    const console = secureJoin(config.rootfs, '/dev/console');
    touch(console);
    sys.mount(config.consolePath, console, null, MS.BIND);
  }
}

/** Step 4: pivot_root with the '.' trick (no put_old dir), then detach the old root. */
export function pivotInto(sys: Syscalls, rootfs: string): void {
  sys.chdir(rootfs);
  sys.pivotRoot('.', '.');
  // The old root is stacked under "."; make it slave so unmounting it cannot propagate to the host.
  sys.mount(null, '.', null, MS.SLAVE | MS.REC);
  sys.umount2('.', MNT.DETACH);
  sys.chdir('/');
}

/** Step 5 (inside the new root): hide maskedPaths, make readonlyPaths and (if asked) / read-only. */
export function restrictPaths(sys: Syscalls, config: RootfsConfig, kindOf: (path: string) => PathKind = realPathKind): void {
  for (const path of config.readonlyPaths) {
    if (kindOf(path) === 'missing') continue;
    sys.mount(path, path, null, MS.BIND | MS.REC);
    sys.mount(path, path, null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.REC | MS.NOSUID | MS.NODEV | MS.NOEXEC);
  }
  for (const path of config.maskedPaths) {
    const kind = kindOf(path);
    if (kind === 'missing') continue;
    if (kind === 'dir') sys.mount('tmpfs', path, 'tmpfs', MS.RDONLY, '');
    else sys.mount('/dev/null', path, null, MS.BIND);
  }
  if (config.readonly) sys.mount(null, '/', null, MS.BIND | MS.REMOUNT | MS.RDONLY);
}

/** Write linux.sysctl entries to /proc/sys (after /proc is mounted and we are inside the new root). */
export function applySysctl(sysctl: Readonly<Record<string, string>> | undefined, write = writeFileSync): void {
  for (const [key, value] of Object.entries(sysctl ?? {})) {
    if (!/^[a-zA-Z0-9_.\-/]+$/.test(key) || key.includes('..')) {
      throw new CError('INVALID_ARGUMENT', `invalid sysctl key ${JSON.stringify(key)}`, { hint: 'use dotted names like net.ipv4.ip_forward' });
    }
    write(`/proc/sys/${key.replaceAll('.', '/')}`, value);
  }
}

/** The whole filesystem setup in order: what the init runs between unshare and dropping privileges. */
export function setupRootfs(sys: Syscalls, config: RootfsConfig, kindOf: (path: string) => PathKind = realPathKind): void {
  mountRootfs(sys, config);
  const mounts = withDefaultMounts(config.mounts);
  for (const mount of mounts) mountOne(sys, config, mount);
  const dev = mounts.find((m) => m.destination.replace(/\/+$/, '') === '/dev');
  if (dev !== undefined && !parseMountOptions(dev.options).bind) populateDev(sys, config, config.devices);
  if (config.hostname) sys.sethostname(config.hostname);
  if (config.domainname) sys.setdomainname(config.domainname);
  pivotInto(sys, config.rootfs);
  applySysctl(config.sysctl);
  restrictPaths(sys, config, kindOf);
}
