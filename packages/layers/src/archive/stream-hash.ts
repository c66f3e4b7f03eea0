/**
 * The DiffID of a large layer hashed on a worker thread. While unpacking, the main thread parses the tar and
 * creates every file; SHA-256 over the uncompressed stream was a quarter of its time (~1 ms per MiB). Posting a
 * chunk to the worker copies it (~0.1 ms per MiB) and the hashing runs on the other core, so the unpack's
 * bottleneck does less. Small layers are hashed on the calling thread: the worker's start-up and the messages
 * would cost more than they save.
 */
import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { CError } from '@c/errors';

/** CommonJS source run with `eval`: needs no build step and works from sources and dist alike. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const jobs = new Map();
parentPort.on('message', (m) => {
  if (m.type === 'open') jobs.set(m.id, createHash('sha256'));
  else if (m.type === 'data') {
    jobs.get(m.id)?.update(m.chunk);
    parentPort.postMessage({ ack: m.chunk.byteLength });
  }
  else if (m.type === 'drop') jobs.delete(m.id);
  else if (m.type === 'finish') {
    const hash = jobs.get(m.id);
    jobs.delete(m.id);
    parentPort.postMessage({ id: m.id, hex: hash ? hash.digest('hex') : undefined });
  }
});
`;

/** Bytes hashed on the calling thread before the rest goes to the worker (default 4 MiB). */
export const OFF_THREAD_HASH_FROM = 4 * 1024 * 1024;

/** Bytes posted and not hashed yet past which producers are asked to wait (a worker starved of CPU). */
const MAX_UNHASHED_BYTES = 32 * 1024 * 1024;

/** An incremental SHA-256 whose digest arrives asynchronously. */
export interface StreamHash {
  update(chunk: Uint8Array): void;
  /** `sha256:<hex>` of everything updated. */
  digest(): Promise<string>;
  /** Drops the job (the apply failed). */
  abort(): void;
  /** A promise to wait on before producing more, while the worker is far behind; undefined otherwise. */
  backpressure(): Promise<void> | undefined;
}

class HashWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private open = 0;
  private readonly waiting = new Map<number, { resolve: (hex: string) => void; reject: (error: Error) => void }>();
  /** Posted and not acknowledged by the worker yet (all jobs). */
  private unhashed = 0;
  private drained: Array<() => void> = [];

  /** Resolves once the worker caught up (or stopped: `finish` then reports it). */
  behind(): Promise<void> | undefined {
    if (this.unhashed <= MAX_UNHASHED_BYTES) return undefined;
    return new Promise<void>((resolve) => this.drained.push(resolve));
  }

  private caughtUp(): void {
    const waiting = this.drained;
    this.drained = [];
    for (const resolve of waiting) resolve();
  }

  start(): { post: (chunk: Uint8Array) => void; finish: () => Promise<string>; drop: () => void } {
    const worker = this.ensure();
    const id = this.nextId++;
    if (this.open++ === 0) worker.ref();
    worker.postMessage({ type: 'open', id });
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      if (--this.open === 0) worker.unref();
    };
    return {
      // One exact copy, transferred: cloning a view would copy its whole ArrayBuffer (zlib's are 1 MiB).
      post: (chunk) => {
        const copy = copyOf(chunk);
        this.unhashed += copy.byteLength;
        worker.postMessage({ type: 'data', id, chunk: copy }, [copy.buffer]);
      },
      finish: async () => {
        try {
          if (this.worker !== worker) throw new Error('the hash worker stopped');
          return await new Promise<string>((resolve, reject) => {
            this.waiting.set(id, { resolve, reject });
            worker.postMessage({ type: 'finish', id });
          });
        } finally {
          release();
        }
      },
      drop: () => {
        if (done) return;
        worker.postMessage({ type: 'drop', id });
        release();
      },
    };
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (reply: { id: number; hex?: string; ack?: number }) => {
      if (reply.ack !== undefined) {
        this.unhashed -= reply.ack;
        if (this.unhashed <= MAX_UNHASHED_BYTES) this.caughtUp();
        return;
      }
      const waiting = this.waiting.get(reply.id);
      if (!waiting) return;
      this.waiting.delete(reply.id);
      if (reply.hex !== undefined) waiting.resolve(reply.hex);
      else waiting.reject(new Error('the hash worker lost the job'));
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      this.unhashed = 0;
      this.caughtUp();
      for (const waiting of this.waiting.values()) waiting.reject(error);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the hash worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

let shared: HashWorker | undefined;

/** A copy with an ArrayBuffer of its own (never a slice of Buffer's shared pool, so it can be transferred). */
function copyOf(chunk: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(chunk.byteLength);
  copy.set(chunk);
  return copy;
}

/**
 * A SHA-256 that hashes its first `offThreadFrom` bytes on the calling thread and, once the stream is longer,
 * everything on one worker thread per process. Chunks may be reused by the caller after `update` returns.
 * A worker that dies mid-stream fails `digest()` (INTERNAL): the bytes are gone, and a wrong digest is not
 * an option.
 */
export function streamHash(offThreadFrom = OFF_THREAD_HASH_FROM): StreamHash {
  let local: Hash | undefined = createHash('sha256');
  // Held until the stream proves long enough for the worker (copied: the caller may reuse its chunks).
  let held: Uint8Array<ArrayBuffer>[] = [];
  let heldBytes = 0;
  let job: ReturnType<HashWorker['start']> | undefined;
  return {
    update(chunk) {
      if (job) {
        job.post(chunk);
        return;
      }
      held.push(copyOf(chunk));
      heldBytes += chunk.length;
      if (heldBytes < offThreadFrom) return;
      shared ??= new HashWorker();
      job = shared.start();
      for (const piece of held) job.post(piece); // copies again: 4 MiB once per layer
      held = [];
      local = undefined;
    },
    async digest() {
      if (!job) {
        for (const piece of held) local!.update(piece);
        return `sha256:${local!.digest('hex')}`;
      }
      try {
        return `sha256:${await job.finish()}`;
      } catch (error) {
        throw new CError('INTERNAL', 'hashing the layer off the main thread failed', { cause: error, hint: 'retry the pull or unpack' });
      }
    },
    abort() {
      job?.drop();
      held = [];
    },
    backpressure() {
      return job ? shared?.behind() : undefined;
    },
  };
}
