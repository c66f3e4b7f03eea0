import { capabilityNames } from './capabilities';
import { CLONE, MNT, MS, RESOLVE } from './constants';
import type { CapabilitySets, OpenHow, Syscalls } from './syscalls';

/** 'CLONE_NEWNS|CLONE_NEWUTS' for a flag word; unknown bits are appended in hex. */
export function flagNames(table: Readonly<Record<string, number>>, prefix: string, flags: number): string {
  if (flags === 0) return '0';
  const names: string[] = [];
  let rest = flags >>> 0;
  for (const [name, bit] of Object.entries(table)) {
    if (bit !== 0 && (rest & bit) === bit) {
      names.push(prefix + name);
      rest &= ~bit >>> 0;
    }
  }
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names.join('|');
}

const NS_BY_FLAG = new Map<number, string>([
  [0, 'any'],
  [CLONE.NEWNS, 'mnt'],
  [CLONE.NEWUTS, 'uts'],
  [CLONE.NEWIPC, 'ipc'],
  [CLONE.NEWNET, 'net'],
  [CLONE.NEWPID, 'pid'],
  [CLONE.NEWUSER, 'user'],
  [CLONE.NEWCGROUP, 'cgroup'],
  [CLONE.NEWTIME, 'time'],
]);

function caps(sets: CapabilitySets): string {
  return `effective=${capabilityNames(sets.effective).length} caps, permitted=${capabilityNames(sets.permitted).length}`;
}

function how(h: OpenHow): string {
  return `flags=0o${h.flags.toString(8)}, resolve=${flagNames(RESOLVE, 'RESOLVE_', h.resolve ?? 0)}`;
}

type Describers = { [K in keyof Syscalls]: (...args: Parameters<Syscalls[K]>) => string };

/**
 * How each call names itself in an error message: the syscall and its object, e.g. "mount(overlay → /x/rootfs)".
 * Shared by the real and the recording implementation so both fail with the same words.
 */
export const DESCRIBE: Describers = {
  unshare: (flags) => `unshare(${flagNames(CLONE, 'CLONE_', flags)})`,
  setns: (fd, nstype = 0) => `setns(fd ${fd}, ${NS_BY_FLAG.get(nstype) ?? `0x${nstype.toString(16)}`})`,
  mount: (source, target, fstype, flags) => {
    const what = source ?? fstype ?? 'none';
    const extras = [fstype && fstype !== what ? fstype : '', flags ? flagNames(MS, 'MS_', flags) : '']
      .filter(Boolean)
      .join(', ');
    return `mount(${what} → ${target}${extras ? `, ${extras}` : ''})`;
  },
  umount2: (target, flags = 0) => `umount2(${target}${flags ? `, ${flagNames(MNT, 'MNT_', flags)}` : ''})`,
  pivotRoot: (newRoot, putOld) => `pivot_root(${newRoot}, ${putOld})`,
  sethostname: (name) => `sethostname(${JSON.stringify(name)})`,
  setdomainname: (name) => `setdomainname(${JSON.stringify(name)})`,
  chdir: (path) => `chdir(${path})`,
  fchdir: (fd) => `fchdir(fd ${fd})`,
  chroot: (path) => `chroot(${path})`,
  setsid: () => 'setsid()',
  prctl: (option, arg2 = 0) => `prctl(${option}, ${arg2})`,
  capget: (pid = 0) => `capget(pid ${pid})`,
  capset: (sets) => `capset(${caps(sets)})`,
  setresuid: (r, e, s) => `setresuid(${r}, ${e}, ${s})`,
  setresgid: (r, e, s) => `setresgid(${r}, ${e}, ${s})`,
  setgroups: (gids) => `setgroups([${gids.join(', ')}])`,
  closeRange: (first, last = 0xffffffff, flags = 0) => `close_range(${first}, ${last >>> 0}, ${flags})`,
  dup3: (oldfd, newfd) => `dup3(fd ${oldfd} → fd ${newfd})`,
  close: (fd) => `close(fd ${fd})`,
  execve: (path, argv) => `execve(${path}${argv.length > 1 ? ` ${argv.slice(1).join(' ')}` : ''})`,
  execveat: (dirfd, path, argv) => `execveat(fd ${dirfd}${path ? `, ${path}` : ''}${argv.length > 1 ? ` ${argv.slice(1).join(' ')}` : ''})`,
  memfdCreate: (name) => `memfd_create(${JSON.stringify(name)})`,
  posixSpawn: (path, argv) => `posix_spawn(${path}${argv.length > 1 ? ` ${argv.slice(1).join(' ')}` : ''})`,
  waitpidNoHang: (pid) => `waitpid(pid ${pid}, WNOHANG)`,
  addSeals: (fd, seals) => `fcntl(fd ${fd}, F_ADD_SEALS, 0x${seals.toString(16)})`,
  getSeals: (fd) => `fcntl(fd ${fd}, F_GET_SEALS)`,
  kill: (pid, signal) => `kill(pid ${pid}, signal ${signal})`,
  pidfdOpen: (pid) => `pidfd_open(pid ${pid})`,
  pidfdSendSignal: (pidfd, signal) => `pidfd_send_signal(pidfd ${pidfd}, signal ${signal})`,
  openat2: (dirfd, path, h) => `openat2(dirfd ${dirfd}, ${path}, ${how(h)})`,
  sigprocmask: (howArg) => `sigprocmask(${howArg})`,
  resetSignalDispositions: () => 'sigaction(SIG_DFL)',
  getrlimit: (resource) => `getrlimit(${resource})`,
  setrlimit: (resource, limit) => `setrlimit(${resource}, soft=${limit.soft}, hard=${limit.hard})`,
  prlimit: (pid, resource, limit) =>
    `prlimit(pid ${pid}, ${resource}${limit ? `, soft=${limit.soft}, hard=${limit.hard}` : ''})`,
  seccompSetFilter: (program) => `seccomp(SECCOMP_SET_MODE_FILTER, ${program.length / 8} instructions)`,
  bpfProgLoad: (type, program) => `bpf(BPF_PROG_LOAD, type ${type}, ${program.length / 8} instructions)`,
  bpfProgAttach: (target, prog, type) => `bpf(BPF_PROG_ATTACH, prog fd ${prog} → fd ${target}, type ${type})`,
  bpfProgDetach: (target, prog, type) => `bpf(BPF_PROG_DETACH, prog fd ${prog} from fd ${target}, type ${type})`,
  bpfProgQuery: (target, type) => `bpf(BPF_PROG_QUERY, fd ${target}, type ${type})`,
  bpfProgGetFdById: (id) => `bpf(BPF_PROG_GET_FD_BY_ID, id ${id})`,
  getInodeFlags: (fd) => `ioctl(fd ${fd}, FS_IOC_GETFLAGS)`,
  setInodeFlags: (fd, flags) => `ioctl(fd ${fd}, FS_IOC_SETFLAGS, 0x${(flags >>> 0).toString(16)})`,
  setControllingTerminal: (fd) => `ioctl(fd ${fd}, TIOCSCTTY)`,
  getWinsize: (fd) => `ioctl(fd ${fd}, TIOCGWINSZ)`,
  setWinsize: (fd, size) => `ioctl(fd ${fd}, TIOCSWINSZ, ${size.rows}x${size.cols})`,
  openpty: () => 'posix_openpt(/dev/ptmx)',
  setCloexec: (fd, on) => `fcntl(fd ${fd}, F_SETFD, ${on ? 'FD_CLOEXEC' : '0'})`,
  setNonblocking: (fd, on) => `fcntl(fd ${fd}, F_SETFL, ${on ? '+' : '-'}O_NONBLOCK)`,
  flock: (fd, operation) => `flock(fd ${fd}, ${operation})`,
  mknod: (path, mode) => `mknod(${path}, 0o${mode.toString(8)})`,
  chmod: (path, mode) => `chmod(${path}, 0o${mode.toString(8)})`,
  lchown: (path, uid, gid) => `lchown(${path}, ${uid}, ${gid})`,
  socket: (domain, type, protocol = 0) => `socket(${domain === 1 ? 'AF_UNIX' : domain === 16 ? `AF_NETLINK, protocol ${protocol}` : domain}, ${type})`,
  socketpair: (type) => `socketpair(AF_UNIX, ${type})`,
  connectUnix: (fd, path) => `connect(fd ${fd}, ${path})`,
  bind: (fd, address) => `bind(fd ${fd}, family ${address.length >= 2 ? (address[0] ?? 0) | ((address[1] ?? 0) << 8) : '?'})`,
  send: (fd, data) => `send(fd ${fd}, ${data.length} bytes)`,
  sendAsync: (fd, data) => `send(fd ${fd}, ${data.length} bytes) on a worker thread`,
  recv: (fd, buffer) => `recv(fd ${fd}, ${buffer.length} bytes)`,
  sendFds: (sock, fds) => `sendmsg(fd ${sock}, SCM_RIGHTS [${fds.join(', ')}])`,
  recvFds: (sock) => `recvmsg(fd ${sock}, SCM_RIGHTS)`,
  lsetxattr: (path, name) => `lsetxattr(${path}, ${name})`,
  lgetxattr: (path, name) => `lgetxattr(${path}, ${name})`,
  llistxattr: (path) => `llistxattr(${path})`,
  getpid: () => 'getpid()',
  gettid: () => 'gettid()',
};

/** The syscall's own name for an interface method (pivotRoot → pivot_root). */
export function syscallNameOf(method: keyof Syscalls): string {
  return SYSCALL_NAMES[method] ?? method;
}

const SYSCALL_NAMES: Partial<Record<keyof Syscalls, string>> = {
  pivotRoot: 'pivot_root',
  closeRange: 'close_range',
  pidfdOpen: 'pidfd_open',
  pidfdSendSignal: 'pidfd_send_signal',
  resetSignalDispositions: 'sigaction',
  seccompSetFilter: 'seccomp',
  getInodeFlags: 'ioctl',
  setInodeFlags: 'ioctl',
  setControllingTerminal: 'ioctl',
  getWinsize: 'ioctl',
  setWinsize: 'ioctl',
  openpty: 'posix_openpt',
  setCloexec: 'fcntl',
  memfdCreate: 'memfd_create',
  posixSpawn: 'posix_spawn',
  waitpidNoHang: 'waitpid',
  bpfProgLoad: 'bpf',
  bpfProgAttach: 'bpf',
  bpfProgDetach: 'bpf',
  bpfProgQuery: 'bpf',
  bpfProgGetFdById: 'bpf',
  addSeals: 'fcntl',
  getSeals: 'fcntl',
  setNonblocking: 'fcntl',
  connectUnix: 'connect',
  sendFds: 'sendmsg',
  recvFds: 'recvmsg',
  sendAsync: 'send',
};
