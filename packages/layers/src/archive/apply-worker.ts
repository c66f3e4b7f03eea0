/**
 * The entry of a layer-apply worker thread (built as dist/apply-worker.cjs, run by apply-in-worker.ts): applies one
 * layer whose bytes the parent thread posts in batches, acknowledging each batch as it is consumed so the parent
 * keeps a bounded amount in flight, and posts the ApplyResult or the failure.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CError, toCError } from '@c/errors';
import { applyLayer } from './apply';
import { APPLY_WORKER_PROTOCOL, type ApplyWorkerData, type ParentMessage, WORKER_UNAVAILABLE, fromWire, toWire } from './apply-worker-protocol';
import { hashOnCallingThread } from './stream-hash';

const port = parentPort;
if (!port) throw new Error('apply-worker.cjs runs as a worker thread (see apply-in-worker.ts)');
const { protocol, root, options } = workerData as ApplyWorkerData;
// This thread is one of several extracting at once: the DiffID is hashed here, not on one more thread.
hashOnCallingThread();

const batches: Uint8Array[] = [];
let ended = false;
let failure: CError | undefined;
let wake: (() => void) | undefined;

port.on('message', (message: ParentMessage) => {
  if (message.type === 'bytes') batches.push(message.bytes);
  else if (message.type === 'end') ended = true;
  else failure = fromWire(message.error);
  wake?.();
});

async function* source(): AsyncGenerator<Uint8Array> {
  for (;;) {
    if (failure) throw failure;
    const batch = batches.shift();
    if (batch) {
      yield batch;
      // Asked for the next one: this batch is consumed.
      port!.postMessage({ type: 'consumed', bytes: batch.byteLength });
      continue;
    }
    if (ended) return;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
}

if (protocol !== APPLY_WORKER_PROTOCOL) {
  const stale = new CError('INTERNAL', `the layer apply worker speaks protocol ${APPLY_WORKER_PROTOCOL}, its caller ${String(protocol)}`, {
    hint: 'rebuild @c/layers (pnpm --filter @c/layers build): dist/apply-worker.cjs is from other sources',
    details: { [WORKER_UNAVAILABLE]: true },
  });
  port.postMessage({ type: 'failed', error: toWire(stale) });
  port.close();
} else {
  port.postMessage({ type: 'ready' });
  applyLayer(source(), root, options).then(
    (result) => port.postMessage({ type: 'done', result }),
    (error: unknown) => port.postMessage({ type: 'failed', error: toWire(toCError(error)) }),
  );
}
