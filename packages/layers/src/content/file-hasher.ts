/**
 * Hashes ingest data files on a worker thread. A pull's main thread already parses HTTP and issues the writes;
 * sha256 over ~100 MB costs it ~90 ms more. Here the writer reports how far the file is written, and one worker
 * reads it back from the page cache and hashes it on the other core. Hashing what is on disk also covers a
 * resumed prefix without a separate pass. Any worker failure falls back to hashing the file on the main thread,
 * so the worker can make a commit slower, never wrong.
 */
import { createReadStream } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { createDigester, type BlobDigestAlgorithm } from './digest';
import { startEvalWorker } from '../util/eval-worker';

/** The worker: CommonJS source run with `eval`, so it needs no build step and works from sources and dist alike. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const jobs = new Map();
const buffer = Buffer.allocUnsafe(1 << 20);
function end(id) {
  const job = jobs.get(id);
  jobs.delete(id);
  if (job) try { closeSync(job.fd); } catch {}
}
parentPort.on('message', (m) => {
  try {
    if (m.type === 'open') {
      jobs.set(m.id, { fd: openSync(m.path, 'r'), hash: createHash(m.algorithm), pos: 0 });
      return;
    }
    if (m.type === 'drop') return end(m.id);
    const job = jobs.get(m.id);
    if (!job) {
      if (m.type === 'finish') parentPort.postMessage({ id: m.id, error: 'no such hash job (it failed earlier)' });
      return;
    }
    while (job.pos < m.upTo) {
      const n = readSync(job.fd, buffer, 0, Math.min(buffer.length, m.upTo - job.pos), job.pos);
      if (n === 0) throw new Error('the data file ends at ' + job.pos + ', before ' + m.upTo);
      job.hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      job.pos += n;
    }
    if (m.type === 'finish') {
      parentPort.postMessage({ id: m.id, hex: job.hash.digest('hex') });
      end(m.id);
    }
  } catch (error) {
    end(m.id);
    parentPort.postMessage({ id: m.id, error: String((error && error.message) || error) });
  }
});
`;

interface Reply {
  id: number;
  hex?: string;
  error?: string;
}

/** One file being hashed: report progress with `advance`, get the digest with `finish`, or `drop` it. */
export interface FileHashJob {
  /** The first `bytes` of the file are written (they may be read and hashed now). */
  advance(bytes: number): void;
  /** The digest (`sha256:<hex>`) of the first `bytes` of the file. */
  finish(bytes: number): Promise<string>;
  /** Stops hashing (the write was closed or discarded). */
  drop(): void;
}

class HashWorker {
  #worker: Worker | undefined;
  #nextId = 1;
  /** Jobs opened and not yet finished or dropped: while there are any, the worker keeps the process alive. */
  #open = 0;
  readonly #live = new Set<number>();
  readonly #failed = new Set<number>();
  readonly #waiting = new Map<number, { resolve: (hex: string) => void; reject: (error: Error) => void }>();

  open(path: string, algorithm: BlobDigestAlgorithm): FileHashJob {
    const worker = this.#ensure();
    const id = this.#nextId++;
    this.#hold();
    this.#live.add(id);
    worker.postMessage({ type: 'open', id, path, algorithm });
    let settled = false;
    let finishing = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      this.#live.delete(id);
      this.#release();
      return true;
    };
    return {
      advance: (bytes) => {
        if (!settled && !finishing && !this.#failed.has(id)) worker.postMessage({ type: 'advance', id, upTo: bytes });
      },
      finish: async (bytes) => {
        if (settled || finishing) throw new Error('the hash job is already finished');
        finishing = true;
        try {
          if (this.#failed.delete(id) || this.#worker !== worker) throw new Error('the hash worker failed');
          const hex = await new Promise<string>((resolve, reject) => {
            this.#waiting.set(id, { resolve, reject });
            worker.postMessage({ type: 'finish', id, upTo: bytes });
          });
          return `${algorithm}:${hex}`;
        } catch {
          return await hashFilePrefix(path, bytes, algorithm);
        } finally {
          // Only now: an unref'd worker with a reply still due would let the process exit mid-commit.
          settle();
        }
      },
      drop: () => {
        if (finishing || !settle()) return;
        this.#failed.delete(id);
        worker.postMessage({ type: 'drop', id });
      },
    };
  }

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    const worker = startEvalWorker(WORKER_SOURCE);
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const waiting = this.#waiting.get(reply.id);
      if (waiting) {
        this.#waiting.delete(reply.id);
        if (reply.hex !== undefined) waiting.resolve(reply.hex);
        else waiting.reject(new Error(reply.error ?? 'no digest'));
      } else if (reply.error !== undefined && this.#live.has(reply.id)) {
        this.#failed.add(reply.id);
      }
    });
    const fail = (error: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const waiting of this.#waiting.values()) waiting.reject(error);
      this.#waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the hash worker exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  #hold(): void {
    if (this.#open++ === 0) this.#worker?.ref();
  }

  #release(): void {
    if (--this.#open === 0) this.#worker?.unref();
  }
}

let shared: HashWorker | undefined;

/** Starts hashing the file at `path` off the main thread (one worker per process, started on first use). */
export function hashFileOffThread(path: string, algorithm: BlobDigestAlgorithm): FileHashJob {
  shared ??= new HashWorker();
  return shared.open(path, algorithm);
}

/** The digest of the first `bytes` of a file, hashed on the calling thread (the fallback). */
export async function hashFilePrefix(path: string, bytes: number, algorithm: BlobDigestAlgorithm): Promise<string> {
  const digester = createDigester(algorithm);
  if (bytes > 0) {
    for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1, highWaterMark: 1 << 20 })) digester.update(chunk as Buffer);
  }
  return digester.digest();
}
