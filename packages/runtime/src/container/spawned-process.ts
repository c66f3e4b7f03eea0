// The container's first process, started with posix_spawn rather than child_process.spawn: no fork() of this
// (large) Node process and no child_process module to load (~4 ms each per start here). libuv does not know
// these children, so they are reaped here: on SIGCHLD, every live one is polled with waitpid(WNOHANG).
import { EventEmitter } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { isSyscallError, O } from '@c/namespaces';
import type { Syscalls } from '@c/namespaces';

/** What the lifecycle uses of a container's first process: a ChildProcess or a SpawnedProcess. */
export interface InitChild {
  readonly pid?: number | undefined;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  removeAllListeners(event?: 'exit'): this;
  ref(): void;
  unref(): void;
}

/** An fd of this process, its own fd 0-2 ('inherit'), or /dev/null ('ignore'). */
export type SpawnStdio = number | 'inherit' | 'ignore';

const live = new Set<SpawnedProcess>();
let listening = false;
let signalNames: Map<number, NodeJS.Signals> | undefined;

function signalName(signal: number): NodeJS.Signals | null {
  signalNames ??= new Map(Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]));
  return signalNames.get(signal) ?? null;
}

function reapLive(): void {
  for (const child of [...live]) child.poll();
  if (live.size === 0) stopListening();
}

function listen(): void {
  if (listening) return;
  process.on('SIGCHLD', reapLive);
  listening = true;
}

function stopListening(): void {
  process.off('SIGCHLD', reapLive);
  listening = false;
}

export class SpawnedProcess extends EventEmitter implements InitChild {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  /** Keeps the event loop alive while the child runs, as a ChildProcess does (until `unref`). */
  private keepAlive: NodeJS.Timeout | undefined = setInterval(() => {}, 2 ** 30);

  constructor(
    private readonly sys: Syscalls,
    readonly pid: number,
  ) {
    super();
    live.add(this);
  }

  ref(): void {
    this.keepAlive?.ref();
  }

  unref(): void {
    this.keepAlive?.unref();
  }

  /** Reap the child if it has ended (emitting 'exit' once); true once it has. */
  poll(): boolean {
    if (!live.has(this)) return true;
    let exit: { code: number | null; signal: number | null } | undefined;
    try {
      exit = this.sys.waitpidNoHang(this.pid);
    } catch (error) {
      // Reaped by someone else (a waitpid(-1) elsewhere): its status is lost, but it has ended.
      if (!isSyscallError(error, 'ECHILD')) throw error;
      exit = { code: null, signal: null };
    }
    if (exit === undefined) return false;
    live.delete(this);
    clearInterval(this.keepAlive);
    this.keepAlive = undefined;
    this.exitCode = exit.code;
    this.signalCode = exit.signal === null ? null : signalName(exit.signal);
    this.emit('exit', this.exitCode, this.signalCode);
    return true;
  }
}

/**
 * posix_spawn `path` with `stdio` as its fds 0-2 and `extraFds` as 3, 4, ..., in a session of its own, with an
 * empty environment. Throws if it cannot be started (the error names the program).
 */
export function spawnProcess(sys: Syscalls, path: string, argv: readonly string[], stdio: readonly SpawnStdio[], extraFds: readonly number[]): SpawnedProcess {
  // Listening before the spawn: SIGCHLD is handled on the event loop, after the child is in `live`.
  listen();
  try {
    return new SpawnedProcess(sys, spawnPid(sys, path, argv, stdio, extraFds));
  } catch (error) {
    if (live.size === 0) stopListening();
    throw error;
  }
}

/** `spawnProcess` without the SIGCHLD bookkeeping (a worker thread gets no signals): the child's pid. */
export function spawnPid(sys: Syscalls, path: string, argv: readonly string[], stdio: readonly SpawnStdio[], extraFds: readonly number[]): number {
  let devNull: number | undefined;
  const fds = stdio.map((entry, i) => {
    if (entry === 'inherit') return i;
    if (entry === 'ignore') return (devNull ??= openSync('/dev/null', O.RDWR | O.CLOEXEC));
    return entry;
  });
  try {
    return sys.posixSpawn(path, argv, [], { fds: [...fds, ...extraFds], setsid: true });
  } finally {
    if (devNull !== undefined) closeSync(devNull);
  }
}

/**
 * A child of this process that another thread spawned (`spawnPid`), reaped from now on on this thread's SIGCHLD.
 * Its first check comes on a later turn of the event loop, so a caller attaching 'exit' right away misses nothing.
 */
export function adoptProcess(sys: Syscalls, pid: number): SpawnedProcess {
  listen();
  const child = new SpawnedProcess(sys, pid);
  // A SIGCHLD that came before it was in `live` found nothing to reap.
  setImmediate(() => {
    if (child.poll() && live.size === 0) stopListening();
  });
  return child;
}

/**
 * Reaps a child this thread spawned with `spawnPid` and has just sent SIGKILL, polling for up to `ms` (blocking
 * the thread: for a worker thread, which has no SIGCHLD to wait on). False: it had not ended by then.
 */
export function reapKilledSync(sys: Syscalls, pid: number, ms: number): boolean {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (sys.waitpidNoHang(pid) !== undefined) return true;
    } catch (error) {
      if (isSyscallError(error, 'ECHILD')) return true;
      throw error;
    }
    if (Date.now() > deadline) return false;
    Atomics.wait(pause, 0, 0, 1);
  }
}

/** Wait until `child` has ended, or `ms` have passed (the caller then goes on regardless). */
export async function waitExit(child: InitChild, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
