/**
 * `applyLayer` on a worker thread, so several layers can be extracted at once (snapshots/unpack.ts): creating
 * files is kernel work on the calling thread, and one thread was the limit of an unpack. The parent reads the
 * source and posts its bytes in 1 MiB batches (copied into buffers it hands over), with at most 8 MiB not yet
 * consumed by the worker.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { CError, toCError } from '@c/errors';
import type { ApplyOptions, ApplyResult, ByteSource } from './apply';
import { type ApplyWorkerData, type ParentMessage, type WorkerMessage, fromWire, toWire } from './apply-worker-protocol';

const BATCH_BYTES = 1024 * 1024;
const MAX_UNCONSUMED = 8 * BATCH_BYTES;
/** Names the worker script instead of the built dist/apply-worker.cjs (the package's tests build their own). */
export const APPLY_WORKER_ENV = 'C_LAYERS_APPLY_WORKER';
const WORKER_FILE = 'apply-worker.cjs';

let resolvedScript: string | null | undefined;

/**
 * The worker script: $C_LAYERS_APPLY_WORKER, else dist/apply-worker.cjs next to this module or in the installed
 * @c/layers package (this code may run from a bundle elsewhere). Undefined when there is none (a source checkout
 * without a build): callers then apply on their own thread.
 */
export function applyWorkerScript(): string | undefined {
  const override = process.env[APPLY_WORKER_ENV];
  if (override) return override;
  if (resolvedScript === undefined) resolvedScript = findWorkerScript() ?? null;
  return resolvedScript ?? undefined;
}

function findWorkerScript(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  const candidates = [join(dirname(here), WORKER_FILE)];
  try {
    candidates.push(join(dirname(createRequire(here).resolve('@c/layers/package.json')), 'dist', WORKER_FILE));
  } catch {
    // @c/layers is not resolvable from here (a copied bundle): only the sibling can work.
  }
  return candidates.find((path) => existsSync(path));
}

/** Applies the layer read from `source` to `root` on a new worker thread running `script`. */
export async function applyLayerInWorker(source: ByteSource, root: string, options: ApplyOptions, script: string): Promise<ApplyResult> {
  const { signal, ...rest } = options;
  const { Worker: WorkerThread } = (await import('node:worker_threads')) as typeof import('node:worker_threads');
  const data: ApplyWorkerData = { root, options: rest };
  const worker: Worker = new WorkerThread(script, { workerData: data });
  let consumedWaiter: (() => void) | undefined;
  let unconsumed = 0;
  let settled = false;
  const outcome = new Promise<ApplyResult>((resolve, reject) => {
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'consumed') {
        unconsumed -= message.bytes;
        consumedWaiter?.();
      } else if (message.type === 'done') resolve(message.result);
      else reject(fromWire(message.error));
    });
    worker.on('error', (error) => reject(new CError('INTERNAL', `the layer apply worker failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => reject(new CError('INTERNAL', `the layer apply worker exited with code ${code} before it finished`)));
  }).finally(() => {
    settled = true;
    consumedWaiter?.();
  });
  // Observed here; the caller sees the failure through the await below.
  outcome.catch(() => undefined);
  const post = (message: ParentMessage, transfer?: ArrayBuffer[]) => worker.postMessage(message, transfer);
  try {
    try {
      await pump(source, signal, (bytes) => {
        unconsumed += bytes.byteLength;
        post({ type: 'bytes', bytes }, [bytes.buffer as ArrayBuffer]);
        if (unconsumed <= MAX_UNCONSUMED || settled) return undefined;
        return new Promise<void>((resolve) => (consumedWaiter = resolve)).then(() => {
          consumedWaiter = undefined;
        });
      }, () => settled);
      if (!settled) post({ type: 'end' });
    } catch (error) {
      // The worker closes what it opened before it reports: wait for that, then fail with the reading side's error.
      if (!settled) post({ type: 'abort', error: toWire(toCError(error)) });
      await outcome.catch(() => undefined);
      throw error;
    }
    return await outcome;
  } finally {
    await worker.terminate();
  }
}

/**
 * Reads `source` into fresh 1 MiB batches and hands each to `send`, waiting when it returns a promise; stops early
 * once `stopped()` (the worker already finished or failed).
 */
async function pump(
  source: ByteSource,
  signal: AbortSignal | undefined,
  send: (bytes: Uint8Array) => Promise<void> | undefined,
  stopped: () => boolean,
): Promise<void> {
  let batch = new Uint8Array(BATCH_BYTES);
  let filled = 0;
  const flush = async () => {
    if (filled === 0) return;
    const full = batch.subarray(0, filled);
    batch = new Uint8Array(BATCH_BYTES);
    filled = 0;
    await send(full);
  };
  for await (const chunk of source) {
    if (signal?.aborted) throw new CError('CANCELLED', 'layer apply was cancelled', { cause: signal.reason });
    if (stopped()) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let offset = 0;
    while (offset < bytes.byteLength) {
      const take = Math.min(BATCH_BYTES - filled, bytes.byteLength - offset);
      batch.set(bytes.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === BATCH_BYTES) await flush();
    }
  }
  await flush();
}
