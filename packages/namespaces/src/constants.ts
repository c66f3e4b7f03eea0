// Architecture-independent constants (the same on x86_64 and arm64). Syscall numbers live in ./arch.

/** Namespace flags for unshare(2)/setns(2)/clone(2). */
export const CLONE = {
  NEWTIME: 0x00000080,
  VM: 0x00000100,
  FS: 0x00000200,
  FILES: 0x00000400,
  SIGHAND: 0x00000800,
  PIDFD: 0x00001000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
  NEWNS: 0x00020000,
  SYSVSEM: 0x00040000,
} as const;

/** OCI namespace type → CLONE_NEW* flag and the /proc/PID/ns entry name. */
export const NAMESPACES = {
  mount: { flag: CLONE.NEWNS, procName: 'mnt' },
  uts: { flag: CLONE.NEWUTS, procName: 'uts' },
  ipc: { flag: CLONE.NEWIPC, procName: 'ipc' },
  network: { flag: CLONE.NEWNET, procName: 'net' },
  pid: { flag: CLONE.NEWPID, procName: 'pid' },
  user: { flag: CLONE.NEWUSER, procName: 'user' },
  cgroup: { flag: CLONE.NEWCGROUP, procName: 'cgroup' },
  time: { flag: CLONE.NEWTIME, procName: 'time' },
} as const;
export type NamespaceType = keyof typeof NAMESPACES;

/** mount(2) flags. */
export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  SYNCHRONOUS: 16,
  REMOUNT: 32,
  MANDLOCK: 64,
  DIRSYNC: 128,
  NOSYMFOLLOW: 256,
  NOATIME: 1024,
  NODIRATIME: 2048,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  SILENT: 32768,
  POSIXACL: 1 << 16,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  KERNMOUNT: 1 << 22,
  I_VERSION: 1 << 23,
  STRICTATIME: 1 << 24,
  LAZYTIME: 1 << 25,
} as const;

/** umount2(2) flags. */
export const MNT = {
  FORCE: 1,
  DETACH: 2,
  EXPIRE: 4,
  UMOUNT_NOFOLLOW: 8,
} as const;

/** open(2) flags that x86_64 and arm64 share; DIRECTORY, NOFOLLOW, DIRECT and LARGEFILE differ: see `ArchTable.openFlags`. */
export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  CLOEXEC: 0o2000000,
  PATH: 0o10000000,
} as const;

/** openat2(2) resolve flags (struct open_how.resolve). */
export const RESOLVE = {
  NO_XDEV: 0x01,
  NO_MAGICLINKS: 0x02,
  NO_SYMLINKS: 0x04,
  BENEATH: 0x08,
  IN_ROOT: 0x10,
  CACHED: 0x20,
} as const;

/** AT_FDCWD for the *at() family. */
export const AT_FDCWD = -100;

/** close_range(2) flags. */
export const CLOSE_RANGE = { UNSHARE: 1 << 1, CLOEXEC: 1 << 2 } as const;

/** fcntl(2) commands and flags. */
export const F = { GETFD: 1, SETFD: 2, GETFL: 3, SETFL: 4, DUPFD_CLOEXEC: 1030, ADD_SEALS: 1033, GET_SEALS: 1034 } as const;

/** flock(2) operations. */
export const LOCK = { SH: 1, EX: 2, NB: 4, UN: 8 } as const;

/** memfd seals for fcntl(F_ADD_SEALS). */
export const F_SEAL = { SEAL: 0x1, SHRINK: 0x2, GROW: 0x4, WRITE: 0x8, FUTURE_WRITE: 0x10, EXEC: 0x20 } as const;

/** memfd_create(2) flags. */
export const MFD = { CLOEXEC: 0x1, ALLOW_SEALING: 0x2, NOEXEC_SEAL: 0x8, EXEC: 0x10 } as const;

/** *at() flags. */
export const AT = { SYMLINK_NOFOLLOW: 0x100, EMPTY_PATH: 0x1000 } as const;
export const FD_CLOEXEC = 1;

/** tty ioctls (asm-generic values; x86_64 and arm64 agree). */
export const TIOC = { SCTTY: 0x540e, GWINSZ: 0x5413, SWINSZ: 0x5414, NOTTY: 0x5422 } as const;

/** ioctl requests for inode flags (chattr/lsattr), as encoded on 64-bit Linux (_IOR/_IOW('f', 1|2, long)). */
export const FS_IOC = { GETFLAGS: 0x80086601, SETFLAGS: 0x40086602 } as const;
/** Inode flags (FS_*_FL). TOPDIR: ext4's Orlov allocator spreads the subdirectories of such a directory over the disk. */
export const FS_FL = { TOPDIR: 0x00020000 } as const;

/** prctl(2) options c uses. */
export const PR = {
  SET_PDEATHSIG: 1,
  GET_PDEATHSIG: 2,
  GET_DUMPABLE: 3,
  SET_DUMPABLE: 4,
  GET_KEEPCAPS: 7,
  SET_KEEPCAPS: 8,
  SET_NAME: 15,
  GET_NAME: 16,
  GET_SECCOMP: 21,
  SET_SECCOMP: 22,
  CAPBSET_READ: 23,
  CAPBSET_DROP: 24,
  SET_SECUREBITS: 28,
  GET_SECUREBITS: 27,
  SET_CHILD_SUBREAPER: 36,
  GET_CHILD_SUBREAPER: 37,
  SET_NO_NEW_PRIVS: 38,
  GET_NO_NEW_PRIVS: 39,
  CAP_AMBIENT: 47,
  CAP_AMBIENT_IS_SET: 1,
  CAP_AMBIENT_RAISE: 2,
  CAP_AMBIENT_LOWER: 3,
  CAP_AMBIENT_CLEAR_ALL: 4,
} as const;

/** sigprocmask(2) `how`. */
export const SIG = { BLOCK: 0, UNBLOCK: 1, SETMASK: 2 } as const;

/** Signals (x86_64 and arm64 share these numbers). */
export const SIGNALS = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
} as const;
export type SignalName = keyof typeof SIGNALS;
/** The last real-time signal number (SIGRTMAX as the kernel sees it). */
export const SIGRTMAX = 64;

/**
 * A signal number from a name or number: 'SIGTERM', 'TERM', 'RTMIN+2', 15, '15'.
 * Returns undefined for unknown names. Real-time signals count from the kernel's 32 (SIGRTMIN as glibc
 * reserves 32-33 for itself, but the names refer to the kernel numbering here, as runc does).
 */
export function signalNumber(signal: string | number): number | undefined {
  if (typeof signal === 'number') return Number.isInteger(signal) && signal > 0 && signal <= SIGRTMAX ? signal : undefined;
  const trimmed = signal.trim().toUpperCase();
  if (/^\d+$/.test(trimmed)) return signalNumber(Number(trimmed));
  const name = trimmed.startsWith('SIG') ? trimmed : `SIG${trimmed}`;
  if (name in SIGNALS) return SIGNALS[name as SignalName];
  const rt = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (rt) {
    const base = rt[1] === 'MIN' ? 34 : SIGRTMAX;
    const offset = rt[3] === undefined ? 0 : Number(rt[3]) * (rt[2] === '-' ? -1 : 1);
    const n = base + offset;
    return n >= 34 && n <= SIGRTMAX ? n : undefined;
  }
  return undefined;
}

/** Resource numbers for setrlimit/prlimit (generic values; x86_64 and arm64 agree). */
export const RLIMIT = {
  CPU: 0,
  FSIZE: 1,
  DATA: 2,
  STACK: 3,
  CORE: 4,
  RSS: 5,
  NPROC: 6,
  NOFILE: 7,
  MEMLOCK: 8,
  AS: 9,
  LOCKS: 10,
  SIGPENDING: 11,
  MSGQUEUE: 12,
  NICE: 13,
  RTPRIO: 14,
  RTTIME: 15,
} as const;
export type RlimitName = keyof typeof RLIMIT;
/** RLIM_INFINITY (all ones, 64 bits). */
export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

/** The number for an OCI rlimit type ('RLIMIT_NOFILE') or a bare name ('NOFILE'). */
export function rlimitNumber(name: string): number | undefined {
  const bare = name.toUpperCase().replace(/^RLIMIT_/, '');
  return bare in RLIMIT ? RLIMIT[bare as RlimitName] : undefined;
}

/** Seccomp: modes, flags, and return actions (the upper 16 bits of a filter's return value). */
export const SECCOMP = {
  SET_MODE_STRICT: 0,
  SET_MODE_FILTER: 1,
  GET_ACTION_AVAIL: 2,
  FILTER_FLAG_TSYNC: 1,
  FILTER_FLAG_LOG: 2,
  FILTER_FLAG_SPEC_ALLOW: 4,
  RET_KILL_PROCESS: 0x80000000,
  RET_KILL_THREAD: 0x00000000,
  RET_TRAP: 0x00030000,
  RET_ERRNO: 0x00050000,
  RET_USER_NOTIF: 0x7fc00000,
  RET_TRACE: 0x7ff00000,
  RET_LOG: 0x7ffc0000,
  RET_ALLOW: 0x7fff0000,
  RET_DATA_MASK: 0x0000ffff,
} as const;

/** Capability version 3 header magic for capget/capset. */
export const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

/** Mode bits for mknod(2). */
export const S_IF = { FIFO: 0o010000, CHR: 0o020000, DIR: 0o040000, BLK: 0o060000, REG: 0o100000 } as const;

/** glibc's makedev(): a dev_t from a major and minor number. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

/** xattr set flags. */
export const XATTR = { CREATE: 1, REPLACE: 2 } as const;

/** bpf(2) commands, program and attach types c uses (cgroup v2 device filtering). */
export const BPF_CMD = { PROG_LOAD: 5, PROG_ATTACH: 8, PROG_DETACH: 9, PROG_GET_FD_BY_ID: 13, PROG_QUERY: 16 } as const;
export const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
export const BPF_CGROUP_DEVICE = 6;
export const BPF_F_ALLOW_MULTI = 2;

/** Socket domains, types and message flags c uses (unix sockets with SCM_RIGHTS, netlink for networking). */
export const AF = { UNIX: 1, NETLINK: 16 } as const;
export const SOCK = { STREAM: 1, DGRAM: 2, RAW: 3, SEQPACKET: 5, NONBLOCK: 0o4000, CLOEXEC: 0o2000000 } as const;
export const MSG = { DONTWAIT: 0x40, NOSIGNAL: 0x4000, CMSG_CLOEXEC: 0x40000000 } as const;
/** The most fds one SCM_RIGHTS message may carry (the kernel's SCM_MAX_FD). */
export const SCM_MAX_FD = 253;
