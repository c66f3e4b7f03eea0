/**
 * The DiffID of a large layer hashed on a worker thread. While unpacking, the main thread parses the tar and
 * creates every file; SHA-256 over the uncompressed stream cost it ~0.8 ms per MiB. Here the main thread copies
 * each chunk into a ring of shared 1 MiB slots (~0.1 ms per MiB, no allocation) and posts a slot number; the
 * worker hashes the slot and hands it back. Posting copies instead (a new buffer per chunk, transferred) cost
 * the main thread more than hashing did (measured: 434 vs 369 ms for 357 MiB; the ring: 40-45 ms).
 * Small layers are hashed on the calling thread: the worker's messages would cost more than they save.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { CError } from '@c/errors';
import { startEvalWorker } from '../util/eval-worker';

const SLOT_BYTES = 1024 * 1024;
/** Slots per job: 16 MiB in flight at most before the producer is asked to wait. */
const SLOTS = 16;

/** CommonJS source run with `eval`: needs no build step and works from sources and dist alike. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const SLOT_BYTES = ${SLOT_BYTES};
const jobs = new Map();
parentPort.on('message', (m) => {
  const job = jobs.get(m.id);
  if (m.type === 'open') jobs.set(m.id, { hash: createHash('sha256'), ring: Buffer.from(m.ring) });
  else if (m.type === 'slot') {
    job?.hash.update(job.ring.subarray(m.slot * SLOT_BYTES, m.slot * SLOT_BYTES + m.length));
    parentPort.postMessage({ id: m.id, free: m.slot });
  } else if (m.type === 'bytes') {
    job?.hash.update(m.chunk);
    parentPort.postMessage({ id: m.id, hashed: m.chunk.byteLength });
  } else if (m.type === 'drop') jobs.delete(m.id);
  else if (m.type === 'finish') {
    jobs.delete(m.id);
    parentPort.postMessage({ id: m.id, hex: job ? job.hash.digest('hex') : undefined });
  }
});
`;

/** Bytes hashed on the calling thread before the rest goes to the worker (default 4 MiB). */
export const OFF_THREAD_HASH_FROM = 4 * 1024 * 1024;

/** An incremental SHA-256 whose digest arrives asynchronously. */
export interface StreamHash {
  /** Hashes `chunk`; the caller may reuse it as soon as this returns. */
  update(chunk: Uint8Array): void;
  /** `sha256:<hex>` of everything updated. */
  digest(): Promise<string>;
  /** Drops the job (the apply failed). */
  abort(): void;
  /** A promise to wait on before producing more, while the worker is far behind; undefined otherwise. */
  backpressure(): Promise<void> | undefined;
}

interface Reply {
  id: number;
  hex?: string;
  free?: number;
  hashed?: number;
}

/** One stream on the worker: its ring of slots, the slot being filled, and what waits for a free one. */
class WorkerJob {
  private readonly ring: Buffer;
  private readonly free: number[] = [];
  private slot: number | undefined;
  private fill = 0;
  /** Bytes sent outside the ring (no slot was free) and not hashed yet. */
  private overflow = 0;
  private waiters: Array<() => void> = [];
  private done = false;
  digestWaiter: { resolve: (hex: string) => void; reject: (error: Error) => void } | undefined;

  constructor(
    readonly id: number,
    private readonly worker: Worker,
    private readonly release: () => void,
  ) {
    const shared = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
    this.ring = Buffer.from(shared);
    for (let slot = SLOTS - 1; slot >= 0; slot--) this.free.push(slot);
    worker.postMessage({ type: 'open', id, ring: shared });
  }

  write(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.byteLength) {
      if (this.slot === undefined) {
        this.slot = this.free.pop();
        this.fill = 0;
        if (this.slot === undefined) {
          // Every slot is with the worker: send the rest as a copy of its own (rare; backpressure prevents it).
          const copy = new Uint8Array(chunk.byteLength - offset);
          copy.set(chunk.subarray(offset));
          this.overflow += copy.byteLength;
          this.worker.postMessage({ type: 'bytes', id: this.id, chunk: copy }, [copy.buffer]);
          return;
        }
      }
      const take = Math.min(SLOT_BYTES - this.fill, chunk.byteLength - offset);
      this.ring.set(chunk.subarray(offset, offset + take), this.slot * SLOT_BYTES + this.fill);
      this.fill += take;
      offset += take;
      if (this.fill === SLOT_BYTES) this.flush();
    }
  }

  /** Hands the slot being filled to the worker. */
  flush(): void {
    if (this.slot === undefined) return;
    this.worker.postMessage({ type: 'slot', id: this.id, slot: this.slot, length: this.fill });
    this.slot = undefined;
  }

  onReply(reply: Reply): void {
    if (reply.free !== undefined) this.free.push(reply.free);
    if (reply.hashed !== undefined) this.overflow -= reply.hashed;
    if (!this.behind()) this.wake();
  }

  behind(): boolean {
    return this.free.length === 0 || this.overflow > SLOT_BYTES * SLOTS;
  }

  waitForRoom(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Wakes producers (also when the worker failed: `finish` reports that). */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  finish(): Promise<string> {
    this.flush();
    return new Promise<string>((resolve, reject) => {
      this.digestWaiter = { resolve, reject };
      this.worker.postMessage({ type: 'finish', id: this.id });
    }).finally(() => this.end());
  }

  drop(): void {
    if (this.done) return;
    this.worker.postMessage({ type: 'drop', id: this.id });
    this.end();
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    this.wake();
    this.release();
  }
}

class HashWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private open = 0;
  private readonly jobs = new Map<number, WorkerJob>();

  start(): WorkerJob {
    const worker = this.ensure();
    if (this.open++ === 0) worker.ref();
    const id = this.nextId++;
    const job = new WorkerJob(id, worker, () => {
      this.jobs.delete(id);
      if (--this.open === 0) worker.unref();
    });
    this.jobs.set(id, job);
    return job;
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = startEvalWorker(WORKER_SOURCE);
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const job = this.jobs.get(reply.id);
      if (!job) return;
      if (reply.free !== undefined || reply.hashed !== undefined) return job.onReply(reply);
      const waiter = job.digestWaiter;
      job.digestWaiter = undefined;
      if (reply.hex !== undefined) waiter?.resolve(reply.hex);
      else waiter?.reject(new Error('the hash worker lost the job'));
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const job of this.jobs.values()) {
        job.digestWaiter?.reject(error);
        job.digestWaiter = undefined;
        job.wake();
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the hash worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  alive(worker: WorkerJob): boolean {
    return this.worker !== undefined && this.jobs.get(worker.id) === worker;
  }
}

let shared: HashWorker | undefined;
let onCallingThread = false;

/**
 * Makes every later streamHash of this thread hash where it is called: for a thread that is itself one of several
 * extracting at once (apply-worker.ts), where a hash worker each would cost more CPU than it frees.
 */
export function hashOnCallingThread(): void {
  onCallingThread = true;
}

/** SHA-256 on the calling thread, in the StreamHash shape. */
function localHash(): StreamHash {
  const hash = createHash('sha256');
  return {
    update: (chunk) => void hash.update(chunk),
    digest: async () => `sha256:${hash.digest('hex')}`,
    abort: () => undefined,
    backpressure: () => undefined,
  };
}

/**
 * A SHA-256 that hashes its first `offThreadFrom` bytes on the calling thread and, once the stream is longer,
 * everything on one worker thread per process. A worker that dies mid-stream fails `digest()` (INTERNAL): the
 * bytes are gone, and a wrong digest is not an option.
 */
export function streamHash(offThreadFrom = OFF_THREAD_HASH_FROM): StreamHash {
  if (onCallingThread) return localHash();
  let local: Hash | undefined = createHash('sha256');
  // Held until the stream proves long enough for the worker (copied: the caller may reuse its chunks).
  let held: Buffer[] = [];
  let heldBytes = 0;
  let job: WorkerJob | undefined;
  return {
    update(chunk) {
      if (job) {
        job.write(chunk);
        return;
      }
      held.push(Buffer.from(chunk));
      heldBytes += chunk.byteLength;
      if (heldBytes < offThreadFrom) return;
      shared ??= new HashWorker();
      job = shared.start();
      for (const piece of held) job.write(piece);
      held = [];
      local = undefined;
    },
    async digest() {
      if (!job) {
        for (const piece of held) local!.update(piece);
        return `sha256:${local!.digest('hex')}`;
      }
      try {
        if (!shared?.alive(job)) throw new Error('the hash worker stopped');
        return `sha256:${await job.finish()}`;
      } catch (error) {
        job.drop();
        throw new CError('INTERNAL', 'hashing the layer off the main thread failed', { cause: error, hint: 'retry the pull or unpack' });
      }
    },
    abort() {
      job?.drop();
      held = [];
    },
    backpressure() {
      if (!job?.behind() || !shared?.alive(job)) return undefined;
      return job.waitForRoom();
    },
  };
}
