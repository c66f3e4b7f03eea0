/**
 * Network reads arrive in 16-64 KiB chunks; handing each to the store as its own write costs a thread-pool
 * round trip per chunk. This sink asks the store to gather them into batches of about 1 MiB, which it writes
 * with one writev(2) each, without copying them. On a crash at most one batch (not yet written) is lost, and the
 * next pull resumes from what reached the disk.
 */
import type { BlobSink } from '@c/image';
import type { ContentPort } from './ports';

export const DEFAULT_WRITE_BUFFER = 1024 * 1024;

/** The store as a sink whose ingests gather writes of about `bufferBytes` each. */
export function coalescingSink(content: ContentPort, bufferBytes = DEFAULT_WRITE_BUFFER): BlobSink {
  return {
    has: (digest) => content.has(digest),
    ingest: (digest, expectedSize) => content.ingest(digest, expectedSize, { writeBatchBytes: bufferBytes }),
  };
}
