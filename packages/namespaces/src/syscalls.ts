/**
 * The system calls c needs to set up a container, as one synchronous interface. `linuxSyscalls` makes them
 * for real (koffi → libc); `RecordingSyscalls` records them so mount/namespace plans are testable without root.
 * Every method throws `SyscallError` on failure and returns only on success.
 */

/** Capability sets as 64-bit masks (bit n = capability n). */
export interface CapabilitySets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

/** A resource limit as the kernel reports it (RLIM_INFINITY = 2^64-1). */
export interface Rlimit {
  soft: bigint;
  hard: bigint;
}

/** A limit to set: numbers ≥ 2^64-1, Infinity, or RLIM_INFINITY mean unlimited. */
export interface RlimitInput {
  soft: number | bigint;
  hard: number | bigint;
}

/** A terminal's size (struct winsize). */
export interface Winsize {
  rows: number;
  cols: number;
  xpixel?: number;
  ypixel?: number;
}

/** struct open_how for openat2(2). */
export interface OpenHow {
  /** O_* flags (O_CLOEXEC is advisable; openat2 rejects unknown bits). */
  flags: number;
  /** Mode for O_CREAT/O_TMPFILE; must be 0 otherwise. */
  mode?: number;
  /** RESOLVE_* flags. */
  resolve?: number;
}

/** A new pseudo-terminal: the master fd (close-on-exec) and the path of its slave. */
export interface Pty {
  master: number;
  slavePath: string;
}

export interface Syscalls {
  /** unshare(2): CLONE_NEW* flags. User namespaces fail with EINVAL in multi-threaded processes (Node). */
  unshare(flags: number): void;
  /** setns(2): join the namespace behind `fd` (from /proc/PID/ns/*); `nstype` 0 accepts any kind. */
  setns(fd: number, nstype?: number): void;
  /** mount(2). `data` is the filesystem's option string (overlay's lowerdir=…). */
  mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string | null): void;
  /** umount2(2) with MNT_* flags. */
  umount2(target: string, flags?: number): void;
  /** pivot_root(2) (through syscall(): glibc has no wrapper). `putOld` may equal `newRoot` ('.' trick). */
  pivotRoot(newRoot: string, putOld: string): void;
  sethostname(name: string): void;
  setdomainname(name: string): void;
  chdir(path: string): void;
  fchdir(fd: number): void;
  chroot(path: string): void;
  /** setsid(2); returns the new session id. */
  setsid(): number;
  /** prctl(2) with integer arguments; returns the call's result (PR_GET_* values). */
  prctl(option: number, arg2?: number | bigint, arg3?: number | bigint, arg4?: number | bigint, arg5?: number | bigint): number;
  /** capget(2) with the v3 structs; pid 0 = the calling thread. */
  capget(pid?: number): CapabilitySets;
  /** capset(2) with the v3 structs, for the calling thread. */
  capset(sets: CapabilitySets): void;
  /** setresuid(2); -1 leaves an id unchanged. glibc applies it to every thread of the process. */
  setresuid(ruid: number, euid: number, suid: number): void;
  setresgid(rgid: number, egid: number, sgid: number): void;
  setgroups(gids: readonly number[]): void;
  /** close_range(2): CLOSE_RANGE_CLOEXEC marks instead of closing; `last` defaults to ~0U. */
  closeRange(first: number, last?: number, flags?: number): void;
  /** dup3(2): `oldfd` duplicated onto `newfd` (flags: O_CLOEXEC or 0). */
  dup3(oldfd: number, newfd: number, flags?: number): void;
  /** close(2). */
  close(fd: number): void;
  /** execve(2): replaces the process; returns only by throwing. */
  execve(path: string, argv: readonly string[], envp: readonly string[]): never;
  /**
   * execveat(2): run the program behind `dirfd` (with `path` '' and AT_EMPTY_PATH), e.g. a sealed memfd copy of
   * a binary, so no path to the host's file is ever visible. Returns only by throwing.
   */
  execveat(dirfd: number, path: string, argv: readonly string[], envp: readonly string[], flags?: number): never;
  /**
   * posix_spawn(3): start `path` as a child without copying this process's page tables (glibc clones with
   * CLONE_VM | CLONE_VFORK; fork() of a large Node process costs milliseconds). `fds[i]` becomes the child's fd i
   * (the sources stay open here); other fds follow their FD_CLOEXEC. The child starts with every signal at SIG_DFL
   * and none blocked (Node ignores SIGPIPE), in a session of its own with `setsid`. An exec failure throws here.
   * Returns the pid; reap it with `waitpidNoHang`.
   */
  posixSpawn(path: string, argv: readonly string[], envp: readonly string[], options: PosixSpawnOptions): number;
  /** waitpid(pid, WNOHANG): the child's end (reaping it) once it has ended, else undefined while it runs. */
  waitpidNoHang(pid: number): ChildExit | undefined;
  /** memfd_create(2); returns the fd. Use MFD.CLOEXEC | MFD.ALLOW_SEALING for a sealable copy. */
  memfdCreate(name: string, flags?: number): number;
  /** fcntl(F_ADD_SEALS): add F_SEAL_* seals to a memfd. */
  addSeals(fd: number, seals: number): void;
  /** fcntl(F_GET_SEALS). */
  getSeals(fd: number): number;
  /** kill(2). */
  kill(pid: number, signal: number): void;
  /** pidfd_open(2); returns a pidfd (close-on-exec). */
  pidfdOpen(pid: number, flags?: number): number;
  /** pidfd_send_signal(2). */
  pidfdSendSignal(pidfd: number, signal: number, flags?: number): void;
  /** openat2(2); returns the new fd. RESOLVE_IN_ROOT keeps path resolution (symlinks, ..) inside `dirfd`. */
  openat2(dirfd: number, path: string, how: OpenHow): number;
  /** sigprocmask(2) for the calling thread; returns the previous mask as signal numbers. */
  sigprocmask(how: number, signals: readonly number[]): number[];
  /** Set every catchable signal (1-64 but KILL/STOP) to SIG_DFL: ignored ones (Node ignores SIGPIPE) survive exec. */
  resetSignalDispositions(): void;
  getrlimit(resource: number): Rlimit;
  setrlimit(resource: number, limit: RlimitInput): void;
  /** prlimit(2): sets `limit` (if given) on `pid` (0 = self) and returns the previous limit. */
  prlimit(pid: number, resource: number, limit?: RlimitInput): Rlimit;
  /**
   * seccomp(SECCOMP_SET_MODE_FILTER): load a classic BPF program (8 bytes per instruction, as from
   * `compileSeccompProfile`). Needs no_new_privs or CAP_SYS_ADMIN. Returns the seccomp() result (a notify fd
   * with SECCOMP_FILTER_FLAG_NEW_LISTENER, else 0).
   */
  seccompSetFilter(program: Uint8Array, flags?: number): number;
  /**
   * bpf(BPF_PROG_LOAD): load an eBPF program (8-byte struct bpf_insn each); returns its fd. On a verifier
   * refusal the error message carries the verifier log.
   */
  bpfProgLoad(progType: number, program: Uint8Array, options?: { license?: string; expectedAttachType?: number }): number;
  /** bpf(BPF_PROG_ATTACH): attach `progFd` to `targetFd` (e.g. a cgroup directory fd). */
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags?: number): void;
  /** bpf(BPF_PROG_DETACH). */
  bpfProgDetach(targetFd: number, progFd: number, attachType: number): void;
  /**
   * bpf(BPF_PROG_QUERY) without BPF_F_QUERY_EFFECTIVE: the ids of the programs of `attachType` attached to
   * `targetFd` itself (not those inherited from its parents), in run order.
   */
  bpfProgQuery(targetFd: number, attachType: number): number[];
  /** bpf(BPF_PROG_GET_FD_BY_ID): a new (close-on-exec) fd for the program with that id; ENOENT once it is gone. */
  bpfProgGetFdById(id: number): number;
  /** ioctl(FS_IOC_GETFLAGS): the inode flags of the file `fd` is open on (FS_FL; what lsattr shows). */
  getInodeFlags(fd: number): number;
  /** ioctl(FS_IOC_SETFLAGS): replaces the inode flags (read them first; EOPNOTSUPP where the filesystem has none). */
  setInodeFlags(fd: number, flags: number): void;
  /** ioctl(TIOCSCTTY): make `fd` the controlling terminal of this session (needs setsid first). */
  setControllingTerminal(fd: number, steal?: boolean): void;
  /** ioctl(TIOCGWINSZ). */
  getWinsize(fd: number): Winsize;
  /** ioctl(TIOCSWINSZ). */
  setWinsize(fd: number, size: Winsize): void;
  /** posix_openpt + grantpt + unlockpt + ptsname_r. */
  openpty(): Pty;
  /** fcntl(F_SETFD): set or clear FD_CLOEXEC. */
  setCloexec(fd: number, on: boolean): void;
  /** fcntl(F_SETFL): set or clear O_NONBLOCK. */
  setNonblocking(fd: number, on: boolean): void;
  /** mknod(2): mode = S_IF* | permissions; `dev` from `makedev(major, minor)`. The umask applies: chmod after. */
  mknod(path: string, mode: number, dev?: bigint): void;
  /** chmod(2): permission bits (0o7777), not subject to the umask. Follows symlinks. */
  chmod(path: string, mode: number): void;
  /** lchown(2): owner and group of `path` itself (a symlink is not followed); -1 keeps one unchanged. */
  lchown(path: string, uid: number, gid: number): void;
  /** socket(2); returns the fd. Pass SOCK.CLOEXEC in `type` unless the fd must survive exec. */
  socket(domain: number, type: number, protocol?: number): number;
  /** socketpair(AF_UNIX, type): two connected fds. */
  socketpair(type: number): [number, number];
  /** connect(2) a unix socket `fd` to the filesystem path `path` (at most 107 bytes). */
  connectUnix(fd: number, path: string): void;
  /** bind(2) with a raw socket address (struct sockaddr_nl, sockaddr_un…) as the kernel reads it. */
  bind(fd: number, address: Uint8Array): void;
  /** send(2) of `data` in one call (one datagram); returns the bytes sent. MSG.* flags. */
  send(fd: number, data: Uint8Array, flags?: number): number;
  /**
   * send(2) on a libuv worker thread, for requests the kernel holds inside the call (a netlink RTM_DELLINK waits
   * for an RCU grace period): the event loop goes on meanwhile. A worker thread's errno cannot be read from the
   * main thread, so a failure rejects with errno EIO naming the call; errors the kernel reports in a reply
   * (netlink acks) are unaffected.
   */
  sendAsync(fd: number, data: Uint8Array, flags?: number): Promise<number>;
  /** recv(2) into `buffer`; returns the bytes received (0 at the end of a stream). MSG.DONTWAIT never blocks. */
  recv(fd: number, buffer: Uint8Array, flags?: number): number;
  /**
   * sendmsg(2) with one SCM_RIGHTS message: `fds` (1-253) travel with `data` (at least one byte: the kernel
   * drops ancillary data sent with an empty payload on stream sockets). Returns the bytes of `data` sent.
   */
  sendFds(sock: number, fds: readonly number[], data: Uint8Array): number;
  /**
   * recvmsg(2) for one message: up to `maxData` bytes and up to `maxFds` fds (received close-on-exec). Fds the
   * sender passed beyond `maxFds` are closed by the kernel and reported as `truncated`.
   */
  recvFds(sock: number, options?: { maxFds?: number; maxData?: number }): ReceivedFds;
  /**
   * flock(2) on an open fd (LOCK_SH/EX/UN, optionally | LOCK_NB). With LOCK_NB, returns false instead of
   * blocking while another open file description holds a conflicting lock. The kernel drops the lock when
   * its holder dies, which is why c's store locks use it.
   */
  flock(fd: number, operation: number): boolean;
  /** lsetxattr(2) (does not follow symlinks). */
  lsetxattr(path: string, name: string, value: Uint8Array, flags?: number): void;
  /** lgetxattr(2); throws ENODATA when the attribute is absent. */
  lgetxattr(path: string, name: string): Buffer;
  /** llistxattr(2): attribute names. */
  llistxattr(path: string): string[];
  getpid(): number;
  gettid(): number;
}

export interface PosixSpawnOptions {
  /** The child's fds 0..n-1, as fds of this process. */
  fds: readonly number[];
  /** setsid() in the child (POSIX_SPAWN_SETSID). */
  setsid?: boolean;
}

/** How a child ended: `code` for a normal exit, else the number of the signal that killed it. */
export interface ChildExit {
  code: number | null;
  signal: number | null;
}

/** What `recvFds` got: the payload, the fds, and whether the kernel truncated the control data. */
export interface ReceivedFds {
  data: Buffer;
  fds: number[];
  truncated: boolean;
}

/** The method names of `Syscalls`, as recorded by `RecordingSyscalls`. */
export type SyscallName = keyof Syscalls;
