/**
 * Copying a blob into a store with resume: the pattern every pull repeats. Asks the sink where to continue,
 * fetches from there, writes, commits; on a failed fetch the partial is kept, so the next call continues.
 * Works against any BlobSink, so the registry client can use it with a store of its choice.
 */
import { CError } from '@c/errors';
import type { BlobIngest, BlobSink } from '@c/image';

export interface FetchedRange {
  /** Where the returned bytes start: `offset` when the source honoured it, 0 when it sent everything. */
  start: number;
  body: AsyncIterable<Uint8Array>;
}

/** Fetches the blob from `offset` (e.g. an HTTP GET with `Range: bytes=<offset>-`). */
export type FetchFrom = (offset: number) => Promise<FetchedRange>;

export interface CopyInResult {
  digest: string;
  size: number;
  /** Bytes that were already held and not fetched again. */
  resumedFrom: number;
  /** True when the blob was present and nothing was fetched. */
  alreadyPresent: boolean;
}

export async function copyIn(
  sink: BlobSink,
  blob: { digest: string; size: number },
  fetchFrom: FetchFrom,
  options: { signal?: AbortSignal } = {},
): Promise<CopyInResult> {
  if (await sink.has(blob.digest)) return { ...blob, resumedFrom: blob.size, alreadyPresent: true };
  const ingest = await sink.ingest(blob.digest, blob.size);
  const resumedFrom = ingest.offset;
  try {
    if (ingest.offset < blob.size) await writeFrom(ingest, blob.digest, await fetchFrom(ingest.offset), options.signal);
  } catch (error) {
    await ingest.close(); // keep what arrived, so the next attempt continues from there
    throw error;
  }
  await ingest.commit(); // verifies; discards on mismatch
  return { ...blob, resumedFrom, alreadyPresent: false };
}

async function writeFrom(ingest: BlobIngest, digest: string, range: FetchedRange, signal?: AbortSignal): Promise<void> {
  if (range.start > ingest.offset) {
    throw new CError('INVALID_ARGUMENT', `source of ${digest} starts at byte ${range.start}, after the ${ingest.offset} held`, {
      hint: 'the fetch callback must return bytes from the requested offset or from 0',
      details: { digest, start: range.start, offset: ingest.offset },
    });
  }
  // A source that ignored the range resends bytes we hold: skip them.
  let skip = ingest.offset - range.start;
  for await (const chunk of range.body) {
    if (signal?.aborted) {
      throw new CError('CANCELLED', `copy of ${digest} cancelled`, {
        cause: signal.reason,
        hint: 'the bytes received so far are kept; run the same operation again to resume',
        details: { digest },
      });
    }
    if (skip >= chunk.byteLength) {
      skip -= chunk.byteLength;
      continue;
    }
    await ingest.write(skip > 0 ? chunk.subarray(skip) : chunk);
    skip = 0;
  }
}
