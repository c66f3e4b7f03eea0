import { describe, expect, it } from 'vitest';
import type { BlobIngest, BlobSink } from '@c/image';
import { coalescingSink } from './coalescing-sink';

/** Records the writes the wrapped store receives. */
function recordingSink(offset = 0) {
  const writes: number[] = [];
  const calls: string[] = [];
  const sink: BlobSink = {
    has: async () => false,
    ingest: async (): Promise<BlobIngest> => ({
      offset,
      write: async (chunk) => void writes.push(chunk.byteLength),
      commit: async () => void calls.push('commit'),
      close: async () => void calls.push('close'),
      abort: async () => void calls.push('abort'),
    }),
  };
  return { sink, writes, calls };
}

describe('coalescingSink', () => {
  it('gathers small chunks into writes of at least the buffer size and flushes the rest on commit', async () => {
    const { sink, writes, calls } = recordingSink();
    const ingest = await coalescingSink(sink, 100).ingest('sha256:x', 1000);
    for (let i = 0; i < 25; i++) await ingest.write(new Uint8Array(16));
    expect(writes).toEqual([112, 112, 112]);
    await ingest.commit();
    expect(writes).toEqual([112, 112, 112, 64]);
    expect(calls).toEqual(['commit']);
  });

  it('writes buffered bytes before closing (kept for resume) and drops them on abort', async () => {
    const kept = recordingSink();
    const closing = await coalescingSink(kept.sink, 100).ingest('sha256:x', 1000);
    await closing.write(new Uint8Array(10));
    await closing.close();
    expect(kept.writes).toEqual([10]);
    expect(kept.calls).toEqual(['close']);

    const dropped = recordingSink();
    const aborting = await coalescingSink(dropped.sink, 100).ingest('sha256:x', 1000);
    await aborting.write(new Uint8Array(10));
    await aborting.abort();
    expect(dropped.writes).toEqual([]);
    expect(dropped.calls).toEqual(['abort']);
  });

  it('reports the resume offset of the wrapped ingest', async () => {
    const { sink } = recordingSink(4096);
    expect((await coalescingSink(sink).ingest('sha256:x', 10_000)).offset).toBe(4096);
  });
});
