/**
 * GC's contract (see @c/layers gc): a writer takes a lease on a digest *before* it checks `has()` or ingests it,
 * so a concurrent collection either sees the lease or has finished sweeping. The registry client decides which
 * digests to fetch, so this sink takes the lease at the moment the client first touches a digest. Digests
 * touched in the same turn of the event loop (layers fetched in parallel) share one lease update.
 */
import type { BlobSink } from '@c/image';

export function leasingSink(sink: BlobSink, addToLease: (digests: string[]) => Promise<unknown>): BlobSink {
  const leased = new Map<string, Promise<void>>();
  let batch: string[] | undefined;
  let batchDone: Promise<void> = Promise.resolve();

  function ensureLeased(digest: string): Promise<void> {
    const known = leased.get(digest);
    if (known) return known;
    if (!batch) {
      const current: string[] = [];
      batch = current;
      batchDone = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        batch = undefined;
        await addToLease(current);
      });
    }
    batch.push(digest);
    leased.set(digest, batchDone);
    return batchDone;
  }

  return {
    has: async (digest) => {
      await ensureLeased(digest);
      return sink.has(digest);
    },
    ingest: async (digest, expectedSize) => {
      await ensureLeased(digest);
      return sink.ingest(digest, expectedSize);
    },
  };
}
