import { CError } from '@c/errors';
import { DESCRIBE, syscallNameOf } from './describe';
import { errnoNumber } from './errno';
import { SyscallError } from './syscall-error';
import type { Syscalls, SyscallName } from './syscalls';

/** One recorded call: the `Syscalls` method name and its arguments. */
export interface RecordedCall<N extends SyscallName = SyscallName> {
  name: N;
  args: Parameters<Syscalls[N]>;
}

type Result<N extends SyscallName> = ReturnType<Syscalls[N]>;
type Responder<N extends SyscallName> = Result<N> | ((...args: Parameters<Syscalls[N]>) => Result<N>);

interface Failure {
  name: SyscallName;
  errno: number;
  when: ((args: readonly unknown[]) => boolean) | undefined;
  /** How many more matching calls fail; Infinity = all. */
  remaining: number;
}

/** Thrown by `RecordingSyscalls.execve` after recording it: in the real world execve does not return. */
export class ExecveRecorded extends Error {
  constructor(
    readonly path: string,
    readonly argv: readonly string[],
  ) {
    super(`execve(${path}) recorded`);
    this.name = 'ExecveRecorded';
  }
}

export interface FailOptions {
  /** Fail only calls whose arguments match (e.g. a given mount target). */
  when?: (args: readonly unknown[]) => boolean;
  /** Fail this many matching calls, then succeed again (default: every matching call). */
  times?: number;
}

/**
 * A `Syscalls` that performs nothing: it records every call in order, returns scripted results (or
 * harmless defaults) and fails chosen calls with an errno, throwing the same `SyscallError` as the real one.
 */
export class RecordingSyscalls implements Syscalls {
  readonly calls: RecordedCall[] = [];
  private readonly responders = new Map<SyscallName, Responder<SyscallName>>();
  private readonly failures: Failure[] = [];
  private nextFd = 100;

  /** Script the result of a call: a value or a function of its arguments. */
  respond<N extends SyscallName>(name: N, result: Responder<N>): this {
    this.responders.set(name, result as Responder<SyscallName>);
    return this;
  }

  /** Make calls of `name` throw SyscallError with `errno` (a number or a name such as 'EPERM'). */
  failOn(name: SyscallName, errno: number | string, options: FailOptions = {}): this {
    const number = typeof errno === 'number' ? errno : errnoNumber(errno);
    if (number === undefined) throw new CError('INVALID_ARGUMENT', `unknown errno name ${String(errno)}`);
    this.failures.push({ name, errno: number, when: options.when, remaining: options.times ?? Number.POSITIVE_INFINITY });
    return this;
  }

  /** The recorded method names in order. */
  names(): SyscallName[] {
    return this.calls.map((c) => c.name);
  }

  /** The recorded calls of one method. */
  callsOf<N extends SyscallName>(name: N): Array<Parameters<Syscalls[N]>> {
    return this.calls.filter((c): c is RecordedCall<N> => c.name === name).map((c) => c.args);
  }

  /** Forget recorded calls (scripts and failures stay). */
  clear(): void {
    this.calls.length = 0;
  }

  private record<N extends SyscallName>(name: N, args: Parameters<Syscalls[N]>, fallback: () => Result<N>): Result<N> {
    this.calls.push({ name, args } as unknown as RecordedCall);
    const failure = this.failures.find((f) => f.name === name && f.remaining > 0 && (!f.when || f.when(args)));
    if (failure) {
      failure.remaining -= 1;
      const describe = DESCRIBE[name] as (...a: unknown[]) => string;
      throw new SyscallError(syscallNameOf(name), describe(...args), failure.errno);
    }
    const responder = this.responders.get(name) as Responder<N> | undefined;
    if (responder === undefined) return fallback();
    return typeof responder === 'function'
      ? (responder as (...a: Parameters<Syscalls[N]>) => Result<N>)(...args)
      : responder;
  }

  private fd(): number {
    return this.nextFd++;
  }

  unshare(flags: number): void {
    this.record('unshare', [flags], () => undefined);
  }
  setns(fd: number, nstype = 0): void {
    this.record('setns', [fd, nstype], () => undefined);
  }
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
    this.record('mount', [source, target, fstype, flags, data], () => undefined);
  }
  umount2(target: string, flags = 0): void {
    this.record('umount2', [target, flags], () => undefined);
  }
  pivotRoot(newRoot: string, putOld: string): void {
    this.record('pivotRoot', [newRoot, putOld], () => undefined);
  }
  sethostname(name: string): void {
    this.record('sethostname', [name], () => undefined);
  }
  setdomainname(name: string): void {
    this.record('setdomainname', [name], () => undefined);
  }
  chdir(path: string): void {
    this.record('chdir', [path], () => undefined);
  }
  fchdir(fd: number): void {
    this.record('fchdir', [fd], () => undefined);
  }
  chroot(path: string): void {
    this.record('chroot', [path], () => undefined);
  }
  setsid(): number {
    return this.record('setsid', [], () => 1);
  }
  prctl(option: number, arg2: number | bigint = 0, arg3: number | bigint = 0, arg4: number | bigint = 0, arg5: number | bigint = 0): number {
    return this.record('prctl', [option, arg2, arg3, arg4, arg5], () => 0);
  }
  capget(pid = 0) {
    return this.record('capget', [pid], () => ({ effective: 0n, permitted: 0n, inheritable: 0n }));
  }
  capset(sets: { effective: bigint; permitted: bigint; inheritable: bigint }): void {
    this.record('capset', [sets], () => undefined);
  }
  setresuid(ruid: number, euid: number, suid: number): void {
    this.record('setresuid', [ruid, euid, suid], () => undefined);
  }
  setresgid(rgid: number, egid: number, sgid: number): void {
    this.record('setresgid', [rgid, egid, sgid], () => undefined);
  }
  setgroups(gids: readonly number[]): void {
    this.record('setgroups', [[...gids]], () => undefined);
  }
  closeRange(first: number, last = 0xffffffff, flags = 0): void {
    this.record('closeRange', [first, last, flags], () => undefined);
  }
  dup3(oldfd: number, newfd: number, flags = 0): void {
    this.record('dup3', [oldfd, newfd, flags], () => undefined);
  }
  close(fd: number): void {
    this.record('close', [fd], () => undefined);
  }
  execve(path: string, argv: readonly string[], envp: readonly string[]): never {
    this.record('execve', [path, [...argv], [...envp]], () => undefined as never);
    throw new ExecveRecorded(path, argv);
  }
  execveat(dirfd: number, path: string, argv: readonly string[], envp: readonly string[], flags = 0): never {
    this.record('execveat', [dirfd, path, [...argv], [...envp], flags], () => undefined as never);
    throw new ExecveRecorded(path || `fd ${dirfd}`, argv);
  }
  posixSpawn(path: string, argv: readonly string[], envp: readonly string[], options: { fds: readonly number[]; setsid?: boolean }): number {
    return this.record('posixSpawn', [path, [...argv], [...envp], { ...options, fds: [...options.fds] }], () => 4242);
  }
  waitpidNoHang(pid: number): { code: number | null; signal: number | null } | undefined {
    return this.record('waitpidNoHang', [pid], () => undefined);
  }
  memfdCreate(name: string, flags = 0): number {
    return this.record('memfdCreate', [name, flags], () => this.fd());
  }
  addSeals(fd: number, seals: number): void {
    this.record('addSeals', [fd, seals], () => undefined);
  }
  getSeals(fd: number): number {
    return this.record('getSeals', [fd], () => 0);
  }
  kill(pid: number, signal: number): void {
    this.record('kill', [pid, signal], () => undefined);
  }
  pidfdOpen(pid: number, flags = 0): number {
    return this.record('pidfdOpen', [pid, flags], () => this.fd());
  }
  pidfdSendSignal(pidfd: number, signal: number, flags = 0): void {
    this.record('pidfdSendSignal', [pidfd, signal, flags], () => undefined);
  }
  openat2(dirfd: number, path: string, how: { flags: number; mode?: number; resolve?: number }): number {
    return this.record('openat2', [dirfd, path, { ...how }], () => this.fd());
  }
  sigprocmask(how: number, signals: readonly number[]): number[] {
    return this.record('sigprocmask', [how, [...signals]], () => []);
  }
  resetSignalDispositions(): void {
    this.record('resetSignalDispositions', [], () => undefined);
  }
  getrlimit(resource: number) {
    return this.record('getrlimit', [resource], () => ({ soft: 1024n, hard: 4096n }));
  }
  setrlimit(resource: number, limit: { soft: number | bigint; hard: number | bigint }): void {
    this.record('setrlimit', [resource, { ...limit }], () => undefined);
  }
  prlimit(pid: number, resource: number, limit?: { soft: number | bigint; hard: number | bigint }) {
    return this.record('prlimit', [pid, resource, limit && { ...limit }], () => ({ soft: 1024n, hard: 4096n }));
  }
  seccompSetFilter(program: Uint8Array, flags = 0): number {
    return this.record('seccompSetFilter', [program, flags], () => 0);
  }
  bpfProgLoad(progType: number, program: Uint8Array, options: { license?: string; expectedAttachType?: number } = {}): number {
    return this.record('bpfProgLoad', [progType, program, { ...options }], () => this.fd());
  }
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags = 0): void {
    this.record('bpfProgAttach', [targetFd, progFd, attachType, flags], () => undefined);
  }
  bpfProgDetach(targetFd: number, progFd: number, attachType: number): void {
    this.record('bpfProgDetach', [targetFd, progFd, attachType], () => undefined);
  }
  bpfProgQuery(targetFd: number, attachType: number): number[] {
    return this.record('bpfProgQuery', [targetFd, attachType], () => []);
  }
  bpfProgGetFdById(id: number): number {
    return this.record('bpfProgGetFdById', [id], () => this.fd());
  }
  getInodeFlags(fd: number): number {
    return this.record('getInodeFlags', [fd], () => 0);
  }
  setInodeFlags(fd: number, flags: number): void {
    this.record('setInodeFlags', [fd, flags], () => undefined);
  }
  setControllingTerminal(fd: number, steal = false): void {
    this.record('setControllingTerminal', [fd, steal], () => undefined);
  }
  getWinsize(fd: number) {
    return this.record('getWinsize', [fd], () => ({ rows: 24, cols: 80, xpixel: 0, ypixel: 0 }));
  }
  setWinsize(fd: number, size: { rows: number; cols: number; xpixel?: number; ypixel?: number }): void {
    this.record('setWinsize', [fd, { ...size }], () => undefined);
  }
  openpty() {
    return this.record('openpty', [], () => ({ master: this.fd(), slavePath: '/dev/pts/0' }));
  }
  setCloexec(fd: number, on: boolean): void {
    this.record('setCloexec', [fd, on], () => undefined);
  }
  setNonblocking(fd: number, on: boolean): void {
    this.record('setNonblocking', [fd, on], () => undefined);
  }
  flock(fd: number, operation: number): boolean {
    return this.record('flock', [fd, operation], () => true);
  }

  mknod(path: string, mode: number, dev = 0n): void {
    this.record('mknod', [path, mode, dev], () => undefined);
  }
  chmod(path: string, mode: number): void {
    this.record('chmod', [path, mode], () => undefined);
  }
  lchown(path: string, uid: number, gid: number): void {
    this.record('lchown', [path, uid, gid], () => undefined);
  }
  socket(domain: number, type: number, protocol = 0): number {
    return this.record('socket', [domain, type, protocol], () => this.fd());
  }
  socketpair(type: number): [number, number] {
    return this.record('socketpair', [type], () => [this.fd(), this.fd()]);
  }
  connectUnix(fd: number, path: string): void {
    this.record('connectUnix', [fd, path], () => undefined);
  }
  bind(fd: number, address: Uint8Array): void {
    this.record('bind', [fd, address], () => undefined);
  }
  send(fd: number, data: Uint8Array, flags = 0): number {
    return this.record('send', [fd, data, flags], () => data.length);
  }
  /** Records like the others; a scripted failure rejects (the real call reports failures asynchronously too). */
  sendAsync(fd: number, data: Uint8Array, flags = 0): Promise<number> {
    try {
      return this.record('sendAsync', [fd, data, flags], () => Promise.resolve(data.length));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  recv(fd: number, buffer: Uint8Array, flags = 0): number {
    return this.record('recv', [fd, buffer, flags], () => 0);
  }
  sendFds(sock: number, fds: readonly number[], data: Uint8Array): number {
    return this.record('sendFds', [sock, [...fds], data], () => data.length);
  }
  recvFds(sock: number, options: { maxFds?: number; maxData?: number } = {}) {
    return this.record('recvFds', [sock, { ...options }], () => ({ data: Buffer.alloc(0), fds: [] as number[], truncated: false }));
  }
  lsetxattr(path: string, name: string, value: Uint8Array, flags = 0): void {
    this.record('lsetxattr', [path, name, value, flags], () => undefined);
  }
  lgetxattr(path: string, name: string): Buffer {
    return this.record('lgetxattr', [path, name], () => Buffer.alloc(0));
  }
  llistxattr(path: string): string[] {
    return this.record('llistxattr', [path], () => []);
  }
  getpid(): number {
    return this.record('getpid', [], () => 1);
  }
  gettid(): number {
    return this.record('gettid', [], () => 1);
  }
}
