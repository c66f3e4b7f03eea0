// Container builds on worker threads (decision 0016). `runDirect` builds a container on the calling thread: its
// rootfs mounts, namespaces and shim spawn take the daemon's only thread ~6-8 ms per start, while the machine's
// other cores wait. Namespaces and the root are per thread in Linux, so each worker thread here builds containers
// exactly as runDirect would (buildDirect) and answers in plain data; this thread then owns the result: it reaps
// the shim (SIGCHLD reaches the main thread only), writes its "go" and keeps the cgroup object. Fds are the
// process's, so the pty master and the shim's socket cross threads as numbers.
import { Worker } from 'node:worker_threads';
import { CError, toCError } from '@c/errors';
import type { ErrorCode } from '@c/errors';
import { heldGo, runDirect } from './run-direct';
import type { DirectCreated, DirectRunRequest } from './run-direct';
import { adoptProcess } from './spawned-process';
import type { SpawnStdio } from './spawned-process';
import type { Spec } from '../spec/types';
import type { ContainerRecord } from './state';

/** A build, as it crosses to a thread. The thread uses `defaultCgroupsFactory` and a StateStore over `stateRoot`. */
export interface BuildOrder {
  seq: number;
  id: string;
  bundle: string;
  spec?: Spec | undefined;
  stateRoot: string;
  stdio: [SpawnStdio, SpawnStdio, SpawnStdio];
  keepPtyMaster?: boolean | undefined;
  consoleSocket?: string | undefined;
  pidFile?: string | undefined;
}

/** An error as it crosses threads: enough to rebuild the CError the caller would have seen on its own thread. */
export interface ThreadError {
  code: ErrorCode;
  message: string;
  hint?: string | undefined;
  details?: Record<string, unknown>;
}

/** A built container waiting for "go". `joinError`: the shim ended before joining its cgroup (start() throws it). */
export interface BuiltReply {
  record: ContainerRecord;
  pid: number;
  ptyMaster?: number | undefined;
  control: number;
  executable: string;
  joinError?: ThreadError | undefined;
}

export type BuildReply =
  | { ready: true }
  | { seq: number; warning: string }
  | { seq: number; unreaped: number }
  | { seq: number; fallback: true }
  | { seq: number; built: BuiltReply }
  | { seq: number; error: ThreadError };

export function toThreadError(error: unknown): ThreadError {
  const c = toCError(error);
  let details: Record<string, unknown> | undefined;
  try {
    details = JSON.parse(JSON.stringify(c.details)) as Record<string, unknown>;
  } catch {
    details = undefined;
  }
  return { code: c.code, message: c.message, hint: c.hint, ...(details !== undefined ? { details } : {}) };
}

export function fromThreadError(error: ThreadError): CError {
  return new CError(error.code, error.message, { hint: error.hint, details: error.details ?? {} });
}

export interface BuildThreadsOptions {
  /** Threads to build on (at least 1). */
  size: number;
  /** The worker script (dist/c-runtime-build-worker.cjs: `resolveRuntimeFile('c-runtime-build-worker.js')`). */
  script: string;
  /** A thread that could not start: the pool stops being `usable` (callers build on their own thread again). */
  onError?: (error: unknown) => void;
}

interface Pending {
  order: BuildOrder;
  request: DirectRunRequest;
  resolve: (created: DirectCreated | undefined | Promise<DirectCreated | undefined>) => void;
  reject: (error: unknown) => void;
}

class BuildThread {
  readonly pending = new Map<number, Pending>();
  ready = false;
  ended = false;
  private idle: (() => void) | undefined;

  constructor(readonly worker: Worker) {}

  /** Resolves once no build is in flight here. */
  drained(): Promise<void> {
    return this.pending.size === 0 ? Promise.resolve() : new Promise((resolve) => (this.idle = resolve));
  }

  /** After a build left `pending`. */
  settled(): void {
    if (this.pending.size > 0) return;
    this.worker.unref();
    this.idle?.();
    this.idle = undefined;
  }
}

export class BuildThreads {
  private readonly threads: BuildThread[] = [];
  private seq = 0;
  private failed = false;
  private closed = false;

  constructor(private readonly options: BuildThreadsOptions) {}

  /** False once a thread failed to start, or after close: build on the calling thread instead (`runDirect`). */
  get usable(): boolean {
    return !this.failed && !this.closed;
  }

  /** Start every thread now (each loads the runtime and koffi: ~30-50 ms of CPU, better spent before a start). */
  warm(): void {
    while (this.usable && this.threads.length < Math.max(1, this.options.size)) this.spawn();
  }

  /**
   * `runDirect(request)` with `holdStart`, on the least busy thread: the same outcomes (undefined: take the
   * two-process path). `request.sys` reaps the shim and `request.cgroups` makes the cgroup object on this thread;
   * the thread itself builds with the default cgroups factory.
   */
  build(request: DirectRunRequest): Promise<DirectCreated | undefined> {
    if (!this.usable) return Promise.reject(new CError('INTERNAL', 'the container build threads are not available', { hint: 'build on the calling thread (runDirect)' }));
    this.warm();
    const thread = this.threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const order: BuildOrder = {
      seq: ++this.seq,
      id: request.id,
      bundle: request.bundle,
      spec: request.spec,
      stateRoot: request.store.root,
      stdio: request.stdio ?? ['inherit', 'inherit', 'inherit'],
      keepPtyMaster: request.keepPtyMaster,
      consoleSocket: request.consoleSocket,
      pidFile: request.pidFile,
    };
    return new Promise((resolve, reject) => {
      thread.pending.set(order.seq, { order, request, resolve, reject });
      // A thread with work keeps the process alive (as runDirect's caller would be, on its own thread).
      thread.worker.ref();
      thread.worker.postMessage(order);
    });
  }

  /**
   * Stops every thread once its builds in flight have answered (they end as they would have on the event loop). A
   * thread terminated mid-build would stop wherever its synchronous build was, running no clean-up: the shim, its
   * socket and the build's other fds would stay for the process's lifetime.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.threads.splice(0).map(async (t) => {
        await t.drained();
        await t.worker.terminate();
      }),
    );
  }

  private spawn(): void {
    let worker: Worker;
    try {
      // trackUnmanagedFds off: by default a worker closes, when it ends, every fd it opened with fs.open and did
      // not fs.close itself. The fds a build hands over are this thread's from then on (one the worker opened and
      // this thread closed would be closed again at the worker's end: by then another container's, or the
      // daemon's), and the worker closes fds it did not fs.open (memfd, socketpair: a warning each time).
      worker = new Worker(this.options.script, { name: `c-build-${this.threads.length + 1}`, execArgv: [], trackUnmanagedFds: false });
    } catch (error) {
      this.failed = true;
      this.options.onError?.(error);
      return;
    }
    const thread = new BuildThread(worker);
    this.threads.push(thread);
    worker.unref();
    worker.on('message', (reply: BuildReply) => this.onReply(thread, reply));
    worker.on('error', (error) => this.onEnd(thread, error));
    worker.on('exit', (code) => this.onEnd(thread, new Error(`exited with code ${code}`)));
  }

  private onReply(thread: BuildThread, reply: BuildReply): void {
    if ('ready' in reply) {
      thread.ready = true;
      return;
    }
    const pending = thread.pending.get(reply.seq);
    if (pending === undefined) return;
    if ('warning' in reply) {
      pending.request.warn?.(reply.warning);
      return;
    }
    if ('unreaped' in reply) {
      // A failed build's killed shim that outlived the thread's wait: reaped here when it ends.
      // Unref'd: a shim stuck in the kernel must not keep the daemon from exiting.
      adoptProcess(pending.request.sys, reply.unreaped).unref();
      return;
    }
    thread.pending.delete(reply.seq);
    thread.settled();
    if ('fallback' in reply) pending.resolve(undefined);
    else if ('error' in reply) pending.reject(fromThreadError(reply.error));
    else pending.resolve(this.adopt(pending.request, reply.built));
  }

  /** This thread takes over a container a worker built: the same DirectCreated runDirect's holdStart gives. */
  private adopt(request: DirectRunRequest, built: BuiltReply): DirectCreated {
    return {
      record: built.record,
      child: adoptProcess(request.sys, built.pid),
      cgroups: request.cgroups(built.record.cgroupsPath),
      ptyMaster: built.ptyMaster,
      ...heldGo(built.control, built.executable, () => {
        if (built.joinError !== undefined) throw fromThreadError(built.joinError);
      }),
    };
  }

  /**
   * A thread ended (it should not). One that never started makes the pool unusable, and the orders queued on it,
   * none begun (the worker says "ready" before it reads one), are built on this thread instead. A thread that was
   * building fails its builds: each stopped wherever it was.
   */
  private onEnd(thread: BuildThread, error: unknown): void {
    if (thread.ended) return;
    thread.ended = true;
    const index = this.threads.indexOf(thread);
    if (index >= 0) this.threads.splice(index, 1);
    if (!thread.ready && !this.closed) {
      this.failed = true;
      this.options.onError?.(error);
    }
    for (const { order, request, resolve, reject } of thread.pending.values()) {
      if (!thread.ready) {
        resolve(runDirect({ ...request, holdStart: true }));
        continue;
      }
      reject(
        new CError('INTERNAL', `container ${order.id}: the thread building it ended (${error instanceof Error ? error.message : String(error)})`, {
          hint: 'see the daemon log; the next start uses a new thread',
        }),
      );
    }
    thread.pending.clear();
    thread.settled();
  }
}
