import { CError } from '@c/errors';
import { archTable } from '../arch';
import { BPF_CMD, F, FD_CLOEXEC, FS_IOC, LINUX_CAPABILITY_VERSION_3, LOCK, MSG, O, RLIM_INFINITY, SECCOMP, TIOC } from '../constants';
import { DESCRIBE, syscallNameOf } from '../describe';
import { ERRNO } from '../errno';
import { SyscallError } from '../syscall-error';
import type { CapabilitySets, ChildExit, OpenHow, PosixSpawnOptions, Pty, ReceivedFds, Rlimit, RlimitInput, SyscallName, Syscalls, Winsize } from '../syscalls';
import { libc } from './libc';
import { checkFdsToSend, parseReceived, receiveMessage, sendMessage, sockaddrUn } from './socket-messages';

/** Signals glibc reserves for its threads (SIGCANCEL, SIGSETXID): signal() refuses them. */
const GLIBC_RESERVED_SIGNALS = new Set([32, 33]);
const SIGKILL = 9;
const SIGSTOP = 19;
const SIG_IGN = 1n;
/** struct kernel_sigaction: handler, flags, restorer, 8-byte mask (arm64 and x86_64 both fit in 32 bytes). */
const KERNEL_SIGACTION_BYTES = 32;
/** glibc's sigset_t is 1024 bits; the kernel reads the first 64. */
const SIGSET_BYTES = 128;

function fail(method: SyscallName, args: unknown[], errno: number): never {
  const describe = DESCRIBE[method] as (...a: unknown[]) => string;
  throw new SyscallError(syscallNameOf(method), describe(...args), errno);
}

/** Throws SyscallError for a negative result; `errno` must be read right after the call, before anything else. */
function check(method: SyscallName, args: unknown[], result: number | bigint, errno: number): number {
  const value = Number(result);
  if (value < 0) fail(method, args, errno);
  return value;
}

/** Calls `fn`, reads errno at once, and checks the result. */
function call(method: SyscallName, args: unknown[], fn: () => number | bigint): number {
  const result = fn();
  const errno = libc().errno();
  return check(method, args, result, errno);
}

export function toRlim(value: number | bigint, what: string): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n) throw badLimit(what, value);
    return value >= RLIM_INFINITY ? RLIM_INFINITY : value;
  }
  if (value === Number.POSITIVE_INFINITY || value >= 2 ** 64 - 1) return RLIM_INFINITY;
  if (!Number.isInteger(value) || value < 0) throw badLimit(what, value);
  return BigInt(value);
}

function badLimit(what: string, value: number | bigint): CError {
  return new CError('INVALID_ARGUMENT', `rlimit ${what} ${String(value)} is not a non-negative integer`, {
    hint: 'use an integer, or RLIM_INFINITY for unlimited',
  });
}

function rlimitBuffer(limit: RlimitInput): Buffer {
  const buf = Buffer.alloc(16);
  buf.writeBigUInt64LE(toRlim(limit.soft, 'soft'), 0);
  buf.writeBigUInt64LE(toRlim(limit.hard, 'hard'), 8);
  return buf;
}

function readRlimit(buf: Buffer): Rlimit {
  return { soft: buf.readBigUInt64LE(0), hard: buf.readBigUInt64LE(8) };
}

function sigsetBuffer(signals: readonly number[]): Buffer {
  const buf = Buffer.alloc(SIGSET_BYTES);
  for (const sig of signals) {
    if (!Number.isInteger(sig) || sig < 1 || sig > 64) {
      throw new CError('INVALID_ARGUMENT', `signal ${sig} is out of range 1-64`, { hint: 'pass signal numbers' });
    }
    const bit = sig - 1;
    buf[bit >> 3] = (buf[bit >> 3] ?? 0) | (1 << (bit & 7));
  }
  return buf;
}

function sigsetSignals(buf: Buffer): number[] {
  const signals: number[] = [];
  for (let sig = 1; sig <= 64; sig++) if (((buf[(sig - 1) >> 3] ?? 0) >> ((sig - 1) & 7)) & 1) signals.push(sig);
  return signals;
}

/** Cap sets → the two v3 data structs (low 32 bits, high 32 bits). */
function capDataBuffer(sets: CapabilitySets): Buffer {
  const buf = Buffer.alloc(24);
  const words = [sets.effective, sets.permitted, sets.inheritable];
  words.forEach((mask, i) => {
    buf.writeUInt32LE(Number(mask & 0xffffffffn), i * 4);
    buf.writeUInt32LE(Number((mask >> 32n) & 0xffffffffn), 12 + i * 4);
  });
  return buf;
}

function readCapData(buf: Buffer): CapabilitySets {
  const word = (i: number) => BigInt(buf.readUInt32LE(i * 4)) | (BigInt(buf.readUInt32LE(12 + i * 4)) << 32n);
  return { effective: word(0), permitted: word(1), inheritable: word(2) };
}

function capHeader(pid: number): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeUInt32LE(LINUX_CAPABILITY_VERSION_3, 0);
  buf.writeInt32LE(pid, 4);
  return buf;
}

/** Opaque glibc structs (80 and 336 bytes on x86_64 and arm64), with room to spare. */
const SPAWN_ACTIONS_BYTES = 256;
const SPAWN_ATTR_BYTES = 1024;
/** glibc's <spawn.h> flags. */
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
const WNOHANG = 1;
const EVERY_SIGNAL = Array.from({ length: 64 }, (_, i) => i + 1);

/** N for a path of the form /proc/self/fd/N (an fd the child reopens to exec), else undefined. */
export function procSelfFd(path: string): number | undefined {
  const match = /^\/proc\/self\/fd\/(\d+)$/.exec(path);
  return match === null ? undefined : Number(match[1]);
}

/** posix_spawn and its helpers return an error number instead of setting errno. */
function spawnStep(args: unknown[], result: number): void {
  if (result !== 0) fail('posixSpawn', args, result);
}

/** Real syscalls through koffi. Stateless: use the shared `linuxSyscalls` instance. */
export class LinuxSyscalls implements Syscalls {
  unshare(flags: number): void {
    call('unshare', [flags], () => libc().unshare(flags));
  }

  setns(fd: number, nstype = 0): void {
    call('setns', [fd, nstype], () => libc().setns(fd, nstype));
  }

  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
    call('mount', [source, target, fstype, flags, data], () => libc().mount(source, target, fstype, flags, data));
  }

  umount2(target: string, flags = 0): void {
    call('umount2', [target, flags], () => libc().umount2(target, flags));
  }

  pivotRoot(newRoot: string, putOld: string): void {
    const nr = archTable().nr.pivot_root;
    call('pivotRoot', [newRoot, putOld], () => libc().syscall(nr, 'const char *', newRoot, 'const char *', putOld));
  }

  sethostname(name: string): void {
    const bytes = Buffer.byteLength(name);
    call('sethostname', [name], () => libc().sethostname(name, bytes));
  }

  setdomainname(name: string): void {
    const bytes = Buffer.byteLength(name);
    call('setdomainname', [name], () => libc().setdomainname(name, bytes));
  }

  chdir(path: string): void {
    call('chdir', [path], () => libc().chdir(path));
  }

  fchdir(fd: number): void {
    call('fchdir', [fd], () => libc().fchdir(fd));
  }

  chroot(path: string): void {
    call('chroot', [path], () => libc().chroot(path));
  }

  setsid(): number {
    return call('setsid', [], () => libc().setsid());
  }

  prctl(option: number, arg2: number | bigint = 0, arg3: number | bigint = 0, arg4: number | bigint = 0, arg5: number | bigint = 0): number {
    const ul = 'unsigned long';
    return call('prctl', [option, arg2, arg3, arg4, arg5], () =>
      libc().prctl(option, ul, arg2, ul, arg3, ul, arg4, ul, arg5),
    );
  }

  capget(pid = 0): CapabilitySets {
    const data = Buffer.alloc(24);
    call('capget', [pid], () => libc().capget(capHeader(pid), data));
    return readCapData(data);
  }

  capset(sets: CapabilitySets): void {
    call('capset', [sets], () => libc().capset(capHeader(0), capDataBuffer(sets)));
  }

  setresuid(ruid: number, euid: number, suid: number): void {
    call('setresuid', [ruid, euid, suid], () => libc().setresuid(ruid >>> 0, euid >>> 0, suid >>> 0));
  }

  setresgid(rgid: number, egid: number, sgid: number): void {
    call('setresgid', [rgid, egid, sgid], () => libc().setresgid(rgid >>> 0, egid >>> 0, sgid >>> 0));
  }

  setgroups(gids: readonly number[]): void {
    const list = Buffer.alloc(Math.max(4, gids.length * 4));
    gids.forEach((gid, i) => list.writeUInt32LE(gid >>> 0, i * 4));
    call('setgroups', [gids], () => libc().setgroups(gids.length, list));
  }

  closeRange(first: number, last = 0xffffffff, flags = 0): void {
    const nr = archTable().nr.close_range;
    const u = 'unsigned int';
    call('closeRange', [first, last, flags], () => libc().syscall(nr, u, first >>> 0, u, last >>> 0, u, flags >>> 0));
  }

  dup3(oldfd: number, newfd: number, flags = 0): void {
    call('dup3', [oldfd, newfd, flags], () => libc().dup3(oldfd, newfd, flags));
  }

  close(fd: number): void {
    call('close', [fd], () => libc().close(fd));
  }

  execve(path: string, argv: readonly string[], envp: readonly string[]): never {
    const result = libc().execve(path, [...argv, null], [...envp, null]);
    const errno = libc().errno();
    check('execve', [path, argv, envp], result < 0 ? result : -1, errno);
    throw new CError('INTERNAL', `execve(${path}) returned without replacing the process`);
  }

  execveat(dirfd: number, path: string, argv: readonly string[], envp: readonly string[], flags = 0): never {
    const result = libc().execveat(dirfd, path, [...argv, null], [...envp, null], flags);
    const errno = libc().errno();
    check('execveat', [dirfd, path, argv, envp, flags], result < 0 ? result : -1, errno);
    throw new CError('INTERNAL', `execveat(fd ${dirfd}) returned without replacing the process`);
  }

  posixSpawn(path: string, argv: readonly string[], envp: readonly string[], options: PosixSpawnOptions): number {
    // An fd that `path` names below the number of fds passed would be overwritten by one of them before the exec:
    // exec through a close-on-exec copy above them instead.
    const execFd = procSelfFd(path);
    if (execFd === undefined || execFd >= options.fds.length) return this.posixSpawnMapped(path, argv, envp, options);
    const copy = call('posixSpawn', [path, argv, envp, options], () => libc().fcntl(execFd, F.DUPFD_CLOEXEC, 'int', options.fds.length));
    try {
      return this.posixSpawnMapped(`/proc/self/fd/${copy}`, argv, envp, options);
    } finally {
      libc().close(copy);
    }
  }

  private posixSpawnMapped(path: string, argv: readonly string[], envp: readonly string[], options: PosixSpawnOptions): number {
    const c = libc();
    const args = [path, argv, envp, options];
    const actions = Buffer.alloc(SPAWN_ACTIONS_BYTES);
    const attr = Buffer.alloc(SPAWN_ATTR_BYTES);
    spawnStep(args, c.posix_spawn_file_actions_init(actions));
    try {
      spawnStep(args, c.posix_spawnattr_init(attr));
      try {
        // Each source goes to a free slot above every source and target first, then to its place, so one
        // mapping never overwrites the source of another (and a source already in place loses FD_CLOEXEC). The
        // slots also stay above an fd that `path` names (/proc/self/fd/N, opened when the child execs): fd numbers
        // are not ordered by age in a process whose other threads open and close fds meanwhile.
        const parked = Math.max(options.fds.length, ...options.fds, procSelfFd(path) ?? -1) + 1;
        options.fds.forEach((source, i) => spawnStep(args, c.posix_spawn_file_actions_adddup2(actions, source, parked + i)));
        options.fds.forEach((_, i) => spawnStep(args, c.posix_spawn_file_actions_adddup2(actions, parked + i, i)));
        options.fds.forEach((_, i) => spawnStep(args, c.posix_spawn_file_actions_addclose(actions, parked + i)));
        const flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (options.setsid ? POSIX_SPAWN_SETSID : 0);
        spawnStep(args, c.posix_spawnattr_setflags(attr, flags));
        spawnStep(args, c.posix_spawnattr_setsigmask(attr, sigsetBuffer([])));
        spawnStep(args, c.posix_spawnattr_setsigdefault(attr, sigsetBuffer(EVERY_SIGNAL)));
        const pid = Buffer.alloc(4);
        spawnStep(args, c.posix_spawn(pid, path, actions, attr, [...argv, null], [...envp, null]));
        return pid.readInt32LE(0);
      } finally {
        c.posix_spawnattr_destroy(attr);
      }
    } finally {
      c.posix_spawn_file_actions_destroy(actions);
    }
  }

  waitpidNoHang(pid: number): ChildExit | undefined {
    const status = Buffer.alloc(4);
    if (call('waitpidNoHang', [pid], () => libc().waitpid(pid, status, WNOHANG)) === 0) return undefined;
    const word = status.readInt32LE(0);
    const signal = word & 0x7f;
    return signal === 0 ? { code: (word >> 8) & 0xff, signal: null } : { code: null, signal };
  }

  memfdCreate(name: string, flags = 0): number {
    return call('memfdCreate', [name, flags], () => libc().memfd_create(name, flags));
  }

  addSeals(fd: number, seals: number): void {
    call('addSeals', [fd, seals], () => libc().fcntl(fd, F.ADD_SEALS, 'int', seals));
  }

  getSeals(fd: number): number {
    return call('getSeals', [fd], () => libc().fcntl(fd, F.GET_SEALS));
  }

  kill(pid: number, signal: number): void {
    call('kill', [pid, signal], () => libc().kill(pid, signal));
  }

  pidfdOpen(pid: number, flags = 0): number {
    const nr = archTable().nr.pidfd_open;
    return call('pidfdOpen', [pid, flags], () => libc().syscall(nr, 'int', pid, 'unsigned int', flags));
  }

  pidfdSendSignal(pidfd: number, signal: number, flags = 0): void {
    const nr = archTable().nr.pidfd_send_signal;
    call('pidfdSendSignal', [pidfd, signal, flags], () =>
      libc().syscall(nr, 'int', pidfd, 'int', signal, 'void *', null, 'unsigned int', flags),
    );
  }

  openat2(dirfd: number, path: string, how: OpenHow): number {
    const nr = archTable().nr.openat2;
    // struct open_how { u64 flags; u64 mode; u64 resolve; }
    const buf = Buffer.alloc(24);
    buf.writeBigUInt64LE(BigInt(how.flags >>> 0), 0);
    buf.writeBigUInt64LE(BigInt(how.mode ?? 0), 8);
    buf.writeBigUInt64LE(BigInt(how.resolve ?? 0), 16);
    return call('openat2', [dirfd, path, how], () =>
      libc().syscall(nr, 'int', dirfd, 'const char *', path, 'void *', buf, 'size_t', 24),
    );
  }

  sigprocmask(how: number, signals: readonly number[]): number[] {
    const set = sigsetBuffer(signals);
    const old = Buffer.alloc(SIGSET_BYTES);
    call('sigprocmask', [how, signals], () => libc().sigprocmask(how, set, old));
    return sigsetSignals(old);
  }

  resetSignalDispositions(): void {
    const { signal, errno } = libc();
    for (let sig = 1; sig <= 64; sig++) {
      if (sig === SIGKILL || sig === SIGSTOP || GLIBC_RESERVED_SIGNALS.has(sig)) continue;
      // signal() returns SIG_ERR ((void *) -1) on failure; with a `void *` result koffi hands back an opaque
      // pointer, so compare through its address.
      const previous = signal(sig, null);
      const failed = previous !== null && libc().koffi.address(previous) === 0xffff_ffff_ffff_ffffn;
      if (failed) fail('resetSignalDispositions', [], errno());
    }
    // glibc's signal() refuses its reserved signals, but an ignored disposition inherited from our own parent
    // would survive execve into the payload: put those back to SIG_DFL through the raw syscall. Only when
    // ignored, since a handler glibc installed is reset by execve anyway and may still be needed until then.
    const nr = archTable().nr.rt_sigaction;
    for (const sig of GLIBC_RESERVED_SIGNALS) {
      const old = Buffer.alloc(KERNEL_SIGACTION_BYTES);
      call('resetSignalDispositions', [], () => libc().syscall(nr, 'int', sig, 'void *', null, 'void *', old, 'size_t', 8));
      if (old.readBigUInt64LE(0) !== SIG_IGN) continue;
      const dfl = Buffer.alloc(KERNEL_SIGACTION_BYTES);
      call('resetSignalDispositions', [], () => libc().syscall(nr, 'int', sig, 'void *', dfl, 'void *', null, 'size_t', 8));
    }
  }

  getrlimit(resource: number): Rlimit {
    const old = Buffer.alloc(16);
    call('getrlimit', [resource], () => libc().prlimit(0, resource, null, old));
    return readRlimit(old);
  }

  setrlimit(resource: number, limit: RlimitInput): void {
    const buf = rlimitBuffer(limit);
    call('setrlimit', [resource, limit], () => libc().prlimit(0, resource, buf, null));
  }

  prlimit(pid: number, resource: number, limit?: RlimitInput): Rlimit {
    const buf = limit ? rlimitBuffer(limit) : null;
    const old = Buffer.alloc(16);
    call('prlimit', [pid, resource, limit], () => libc().prlimit(pid, resource, buf, old));
    return readRlimit(old);
  }

  seccompSetFilter(program: Uint8Array, flags = 0): number {
    if (program.length === 0 || program.length % 8 !== 0 || program.length / 8 > 4096) {
      throw new CError('INVALID_ARGUMENT', `seccomp program of ${program.length} bytes is not 1-4096 instructions`, {
        hint: 'pass the output of compileSeccompProfile',
      });
    }
    const { koffi } = libc();
    const filter = Buffer.from(program);
    // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: len at 0, pointer at 8.
    const fprog = Buffer.alloc(16);
    fprog.writeUInt16LE(program.length / 8, 0);
    fprog.writeBigUInt64LE(koffi.address(filter), 8);
    const nr = archTable().nr.seccomp;
    // `filter` stays referenced (and so alive) until the kernel has copied it during the call.
    const result = call('seccompSetFilter', [filter, flags], () =>
      libc().syscall(nr, 'unsigned int', SECCOMP.SET_MODE_FILTER, 'unsigned int', flags, 'void *', fprog),
    );
    if (flags & SECCOMP.FILTER_FLAG_TSYNC && result > 0) {
      // With TSYNC a positive result is the thread that could not be synchronised: nothing was installed.
      throw new CError('SYSCALL', `seccomp(SECCOMP_FILTER_FLAG_TSYNC) could not synchronise thread ${result}`, {
        hint: 'that thread already has a conflicting filter; load the filter before starting threads, or drop TSYNC',
        details: { syscall: 'seccomp', tid: result },
      });
    }
    return result;
  }

  bpfProgLoad(progType: number, program: Uint8Array, options: { license?: string; expectedAttachType?: number } = {}): number {
    const { koffi } = libc();
    const insns = Buffer.from(program);
    const license = Buffer.from(`${options.license ?? 'Apache-2.0'}\0`);
    const log = Buffer.alloc(64 * 1024);
    // union bpf_attr for BPF_PROG_LOAD (the fields up to expected_attach_type; the rest stays zero).
    const attr = Buffer.alloc(128);
    attr.writeUInt32LE(progType, 0);
    attr.writeUInt32LE(insns.length / 8, 4);
    attr.writeBigUInt64LE(koffi.address(insns), 8);
    attr.writeBigUInt64LE(koffi.address(license), 16);
    attr.writeUInt32LE(1, 24); // log_level
    attr.writeUInt32LE(log.length, 28);
    attr.writeBigUInt64LE(koffi.address(log), 32);
    attr.writeUInt32LE(options.expectedAttachType ?? 0, 68);
    const nr = archTable().nr.bpf;
    const result = libc().syscall(nr, 'int', BPF_CMD.PROG_LOAD, 'void *', attr, 'unsigned int', attr.length);
    const errno = libc().errno();
    if (Number(result) < 0) {
      const verifier = log.toString('utf8', 0, Math.max(0, log.indexOf(0))).trim();
      throw new SyscallError('bpf', DESCRIBE.bpfProgLoad(progType, program, options), errno, {
        ...(verifier ? { hint: `the verifier said: ${verifier.split('\n').slice(-3).join(' | ')}` } : {}),
        details: { verifierLog: verifier },
      });
    }
    return Number(result);
  }

  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags = 0): void {
    const attr = Buffer.alloc(32);
    attr.writeUInt32LE(targetFd, 0);
    attr.writeUInt32LE(progFd, 4);
    attr.writeUInt32LE(attachType, 8);
    attr.writeUInt32LE(flags, 12);
    const nr = archTable().nr.bpf;
    call('bpfProgAttach', [targetFd, progFd, attachType, flags], () =>
      libc().syscall(nr, 'int', BPF_CMD.PROG_ATTACH, 'void *', attr, 'unsigned int', attr.length),
    );
  }

  bpfProgDetach(targetFd: number, progFd: number, attachType: number): void {
    const attr = Buffer.alloc(32);
    attr.writeUInt32LE(targetFd, 0);
    attr.writeUInt32LE(progFd, 4);
    attr.writeUInt32LE(attachType, 8);
    const nr = archTable().nr.bpf;
    call('bpfProgDetach', [targetFd, progFd, attachType], () =>
      libc().syscall(nr, 'int', BPF_CMD.PROG_DETACH, 'void *', attr, 'unsigned int', attr.length),
    );
  }

  bpfProgQuery(targetFd: number, attachType: number): number[] {
    const { koffi } = libc();
    const nr = archTable().nr.bpf;
    // A cgroup holds at most 64 programs per attach type; start small and grow to the count the kernel reports.
    let capacity = 8;
    for (;;) {
      const ids = Buffer.alloc(capacity * 4);
      // union bpf_attr, query part: target_fd @0, attach_type @4, query_flags @8, attach_flags @12 (out),
      // prog_ids @16, prog_cnt @24 (in: room, out: count). Newer kernels read and write fields past these
      // (prog_attach_flags @32, link_ids @40, link_attach_flags @48, revision @56), hence a zeroed 128 bytes.
      const attr = Buffer.alloc(128);
      attr.writeUInt32LE(targetFd, 0);
      attr.writeUInt32LE(attachType, 4);
      attr.writeBigUInt64LE(koffi.address(ids), 16);
      attr.writeUInt32LE(capacity, 24);
      const result = Number(libc().syscall(nr, 'int', BPF_CMD.PROG_QUERY, 'void *', attr, 'unsigned int', attr.length));
      const errno = libc().errno();
      const count = attr.readUInt32LE(24);
      // ENOSPC: more programs than room (some were attached meanwhile); prog_cnt holds the real count.
      if (result < 0 && errno === ERRNO.ENOSPC && count > capacity) {
        capacity = count;
        continue;
      }
      if (result < 0) fail('bpfProgQuery', [targetFd, attachType], errno);
      return Array.from({ length: Math.min(count, capacity) }, (_, i) => ids.readUInt32LE(i * 4));
    }
  }

  bpfProgGetFdById(id: number): number {
    const attr = Buffer.alloc(16); // prog_id @0, next_id @4, open_flags @8
    attr.writeUInt32LE(id, 0);
    const nr = archTable().nr.bpf;
    return call('bpfProgGetFdById', [id], () =>
      libc().syscall(nr, 'int', BPF_CMD.PROG_GET_FD_BY_ID, 'void *', attr, 'unsigned int', attr.length),
    );
  }

  getInodeFlags(fd: number): number {
    // The kernel reads and writes an int, whatever the request's encoded size says.
    const buf = Buffer.alloc(8);
    call('getInodeFlags', [fd], () => libc().ioctl(fd, FS_IOC.GETFLAGS, 'void *', buf));
    return buf.readInt32LE(0);
  }

  setInodeFlags(fd: number, flags: number): void {
    const buf = Buffer.alloc(8);
    buf.writeInt32LE(flags | 0, 0);
    call('setInodeFlags', [fd, flags], () => libc().ioctl(fd, FS_IOC.SETFLAGS, 'void *', buf));
  }

  setControllingTerminal(fd: number, steal = false): void {
    call('setControllingTerminal', [fd, steal], () => libc().ioctl(fd, TIOC.SCTTY, 'int', steal ? 1 : 0));
  }

  getWinsize(fd: number): Winsize {
    const buf = Buffer.alloc(8);
    call('getWinsize', [fd], () => libc().ioctl(fd, TIOC.GWINSZ, 'void *', buf));
    return { rows: buf.readUInt16LE(0), cols: buf.readUInt16LE(2), xpixel: buf.readUInt16LE(4), ypixel: buf.readUInt16LE(6) };
  }

  setWinsize(fd: number, size: Winsize): void {
    const buf = Buffer.alloc(8);
    buf.writeUInt16LE(size.rows, 0);
    buf.writeUInt16LE(size.cols, 2);
    buf.writeUInt16LE(size.xpixel ?? 0, 4);
    buf.writeUInt16LE(size.ypixel ?? 0, 6);
    call('setWinsize', [fd, size], () => libc().ioctl(fd, TIOC.SWINSZ, 'void *', buf));
  }

  openpty(): Pty {
    const master = call('openpty', [], () => libc().posix_openpt(O.RDWR | O.NOCTTY | O.CLOEXEC));
    try {
      call('openpty', [], () => libc().grantpt(master));
      call('openpty', [], () => libc().unlockpt(master));
      const name = Buffer.alloc(128);
      const rc = libc().ptsname_r(master, name, name.length);
      // ptsname_r returns the error number itself rather than -1 + errno.
      if (rc !== 0) fail('openpty', [], rc);
      return { master, slavePath: name.toString('utf8', 0, name.indexOf(0)) };
    } catch (error) {
      libc().close(master);
      throw error;
    }
  }

  setCloexec(fd: number, on: boolean): void {
    const flags = call('setCloexec', [fd, on], () => libc().fcntl(fd, F.GETFD));
    const next = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
    if (next !== flags) call('setCloexec', [fd, on], () => libc().fcntl(fd, F.SETFD, 'int', next));
  }

  setNonblocking(fd: number, on: boolean): void {
    const flags = call('setNonblocking', [fd, on], () => libc().fcntl(fd, F.GETFL));
    const next = on ? flags | O.NONBLOCK : flags & ~O.NONBLOCK;
    if (next !== flags) call('setNonblocking', [fd, on], () => libc().fcntl(fd, F.SETFL, 'int', next));
  }

  flock(fd: number, operation: number): boolean {
    const result = libc().flock(fd, operation);
    const errno = libc().errno();
    if (result === 0) return true;
    if (errno === 11 /* EWOULDBLOCK */ && (operation & LOCK.NB) !== 0) return false;
    return fail('flock', [fd, operation], errno);
  }

  mknod(path: string, mode: number, dev = 0n): void {
    call('mknod', [path, mode, dev], () => libc().mknod(path, mode, dev));
  }

  chmod(path: string, mode: number): void {
    call('chmod', [path, mode], () => libc().chmod(path, mode & 0o7777));
  }

  lchown(path: string, uid: number, gid: number): void {
    call('lchown', [path, uid, gid], () => libc().lchown(path, uid, gid));
  }

  socket(domain: number, type: number, protocol = 0): number {
    return call('socket', [domain, type, protocol], () => libc().socket(domain, type, protocol));
  }

  socketpair(type: number): [number, number] {
    const pair = Buffer.alloc(8);
    call('socketpair', [type], () => libc().socketpair(1 /* AF_UNIX */, type, 0, pair));
    return [pair.readInt32LE(0), pair.readInt32LE(4)];
  }

  connectUnix(fd: number, path: string): void {
    const addr = sockaddrUn(path);
    if (addr === null) fail('connectUnix', [fd, path], 36 /* ENAMETOOLONG */);
    call('connectUnix', [fd, path], () => libc().connect(fd, addr, addr.length));
  }

  bind(fd: number, address: Uint8Array): void {
    const buf = Buffer.from(address);
    call('bind', [fd, address], () => libc().bind(fd, buf, buf.length));
  }

  send(fd: number, data: Uint8Array, flags = 0): number {
    return call('send', [fd, data, flags], () => libc().send(fd, data, data.length, flags));
  }

  sendAsync(fd: number, data: Uint8Array, flags = 0): Promise<number> {
    const buf = Buffer.from(data);
    return new Promise((resolve, reject) => {
      libc().send.async(fd, buf, buf.length, flags, (error: unknown, sent: number | bigint) => {
        if (error) return reject(error instanceof Error ? error : new CError('INTERNAL', String(error)));
        const value = Number(sent);
        // errno belongs to the worker thread and is gone by now: report EIO, naming the call.
        if (value < 0) return reject(new SyscallError('send', DESCRIBE.sendAsync(fd, data, flags), 5 /* EIO */));
        keepAlive([buf]);
        resolve(value);
      });
    });
  }

  recv(fd: number, buffer: Uint8Array, flags = 0): number {
    return call('recv', [fd, buffer, flags], () => libc().recv(fd, buffer, buffer.length, flags));
  }

  sendFds(sock: number, fds: readonly number[], data: Uint8Array): number {
    checkFdsToSend(fds, data);
    const message = sendMessage(addressOf, fds, data);
    const sent = call('sendFds', [sock, fds, data], () => libc().sendmsg(sock, message.msghdr, 0x4000 /* MSG_NOSIGNAL */));
    keepAlive(message.keep);
    return sent;
  }

  recvFds(sock: number, options: { maxFds?: number; maxData?: number } = {}): ReceivedFds {
    const maxFds = options.maxFds ?? 1;
    const maxData = options.maxData ?? 4096;
    const message = receiveMessage(addressOf, maxData, maxFds);
    const got = call('recvFds', [sock, options], () => libc().recvmsg(sock, message.msghdr, MSG.CMSG_CLOEXEC));
    keepAlive(message.keep);
    const { fds, truncated } = parseReceived(message);
    // CMSG_SPACE rounds up to 8 bytes, so the kernel may deliver one fd more than asked for: close it.
    const extras = fds.splice(maxFds);
    for (const extra of extras) libc().close(extra);
    return { data: message.data.subarray(0, got), fds, truncated: truncated || extras.length > 0 };
  }

  lsetxattr(path: string, name: string, value: Uint8Array, flags = 0): void {
    const buf = Buffer.from(value);
    call('lsetxattr', [path, name, value, flags], () => libc().lsetxattr(path, name, buf, buf.length, flags));
  }

  lgetxattr(path: string, name: string): Buffer {
    // Size first, then read; retry if the value grew in between (ERANGE).
    for (let attempt = 0; ; attempt++) {
      const size = call('lgetxattr', [path, name], () => libc().lgetxattr(path, name, null, 0));
      const buf = Buffer.alloc(size);
      const got = Number(libc().lgetxattr(path, name, buf, size));
      const errno = libc().errno();
      if (got >= 0) return buf.subarray(0, got);
      if (errno !== 34 /* ERANGE */ || attempt > 3) fail('lgetxattr', [path, name], errno);
    }
  }

  llistxattr(path: string): string[] {
    for (let attempt = 0; ; attempt++) {
      const size = call('llistxattr', [path], () => libc().llistxattr(path, null, 0));
      if (size === 0) return [];
      const buf = Buffer.alloc(size);
      const got = Number(libc().llistxattr(path, buf, size));
      const errno = libc().errno();
      if (got >= 0) return buf.toString('utf8', 0, got).split('\0').filter(Boolean);
      if (errno !== 34 /* ERANGE */ || attempt > 3) fail('llistxattr', [path], errno);
    }
  }

  // Through syscall(): glibc's getpid/gettid wrappers assume success and never set errno, so a seccomp
  // ERRNO verdict would come back as a bare -1 with a stale errno.
  getpid(): number {
    const nr = archTable().nr.getpid;
    return call('getpid', [], () => libc().syscall(nr));
  }

  gettid(): number {
    const nr = archTable().nr.gettid;
    return call('gettid', [], () => libc().syscall(nr));
  }
}

/** The address koffi sees for a Buffer (written into structs the kernel reads). */
function addressOf(buffer: Buffer): bigint {
  return BigInt(libc().koffi.address(buffer) as unknown as bigint);
}

/** Keeps buffers whose addresses went into a struct referenced until the call that reads them has returned. */
function keepAlive(buffers: readonly Buffer[]): number {
  return buffers.length;
}

/** The real syscalls. */
export const linuxSyscalls: Syscalls = new LinuxSyscalls();

/** Load koffi and bind libc now (do this before pivot_root or chroot: module files are unreachable after). */
export function preloadSyscalls(): void {
  libc();
  archTable();
}
