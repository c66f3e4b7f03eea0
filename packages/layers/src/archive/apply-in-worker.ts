/**
 * `applyLayer` on a worker thread, so several layers can be extracted at once (snapshots/unpack.ts): creating
 * files is kernel work on the calling thread, and one thread was the limit of an unpack. The parent reads the
 * source and posts its bytes in 1 MiB batches (copied into buffers it hands over), with at most 8 MiB not yet
 * consumed by the worker.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { CError, isCError, toCError } from '@c/errors';
import { type ApplyOptions, type ApplyResult, type ByteSource, applyCancelled, closeUnread } from './apply';
import { APPLY_WORKER_PROTOCOL, type ApplyWorkerData, type ParentMessage, WORKER_UNAVAILABLE, type WorkerMessage, fromWire, toWire } from './apply-worker-protocol';

const BATCH_BYTES = 1024 * 1024;
const MAX_UNCONSUMED = 8 * BATCH_BYTES;
/** Names the worker script instead of the built dist/apply-worker.cjs (the package's tests build their own). */
export const APPLY_WORKER_ENV = 'C_LAYERS_APPLY_WORKER';
const WORKER_FILE = 'apply-worker.cjs';

let resolvedScript: string | null | undefined;
/** Scripts that could not run: not tried again by this process (callers apply on their own thread instead). */
const unavailableScripts = new Set<string>();

/**
 * The worker script: $C_LAYERS_APPLY_WORKER (resolved against the working directory), else dist/apply-worker.cjs
 * next to this module or in the installed @c/layers package (this code may run from a bundle elsewhere).
 * Undefined when there is none (a source checkout without a build) or it failed to run before: callers then apply
 * on their own thread.
 */
export function applyWorkerScript(): string | undefined {
  const override = process.env[APPLY_WORKER_ENV];
  const script = override ? resolvePath(override) : (resolvedScript ??= findWorkerScript() ?? null);
  return script === null || unavailableScripts.has(script) ? undefined : script;
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

/** Whether `error` says the worker could not run at all (the layer can still be applied on the calling thread). */
export function workerUnavailable(error: unknown): boolean {
  return isCError(error) && error.details[WORKER_UNAVAILABLE] === true;
}

function unavailable(script: string, why: string, cause?: unknown): CError {
  unavailableScripts.add(script);
  return new CError('INTERNAL', `the layer apply worker ${script} could not run: ${why}`, {
    hint: 'rebuild @c/layers (pnpm --filter @c/layers build) or unset $C_LAYERS_APPLY_WORKER',
    details: { [WORKER_UNAVAILABLE]: true, script },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Applies the layer read from `source` to `root` on a new worker thread running `script`. A worker that cannot
 * start fails with `workerUnavailable(error)` true, having read nothing it has not closed.
 */
export async function applyLayerInWorker(source: ByteSource, root: string, options: ApplyOptions, script: string): Promise<ApplyResult> {
  const { signal, ...rest } = options;
  const { Worker: WorkerThread } = (await import('node:worker_threads')) as typeof import('node:worker_threads');
  const data: ApplyWorkerData = { protocol: APPLY_WORKER_PROTOCOL, root, options: rest };
  let worker: Worker;
  try {
    worker = new WorkerThread(script, { workerData: data });
  } catch (error) {
    await closeUnread(source);
    throw unavailable(script, (error as Error).message, error);
  }
  let consumedWaiter: (() => void) | undefined;
  let unconsumed = 0;
  let started = false;
  let settled = false;
  const outcome = new Promise<ApplyResult>((resolve, reject) => {
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') started = true;
      else if (message.type === 'consumed') {
        unconsumed -= message.bytes;
        consumedWaiter?.();
      } else if (message.type === 'done') resolve(message.result);
      else reject(message.error.details[WORKER_UNAVAILABLE] === true ? unavailable(script, message.error.message) : fromWire(message.error));
    });
    worker.on('error', (error) => {
      reject(started ? new CError('INTERNAL', `the layer apply worker failed: ${error.message}`, { cause: error }) : unavailable(script, error.message, error));
    });
    worker.on('exit', (code) => reject(started ? new CError('INTERNAL', `the layer apply worker exited with code ${code} before it finished`) : unavailable(script, `exited with code ${code}`)));
  }).finally(() => {
    settled = true;
    consumedWaiter?.();
  });
  // Observed here; the caller sees the failure through the await below.
  outcome.catch(() => undefined);
  const post = (message: ParentMessage, transfer?: ArrayBuffer[]) => worker.postMessage(message, transfer);
  // Also once every byte is posted: the worker stops at its next batch, after closing its files.
  const onAbort = () => {
    if (!settled && signal) post({ type: 'abort', error: toWire(applyCancelled(signal)) });
  };
  signal?.addEventListener('abort', onAbort, { once: true });
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
    signal?.removeEventListener('abort', onAbort);
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
    if (signal?.aborted) throw applyCancelled(signal);
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
