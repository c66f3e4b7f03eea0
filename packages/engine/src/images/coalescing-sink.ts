/**
 * Network reads arrive in 16-64 KiB chunks; handing each to the store as its own write costs a thread-pool
 * round trip per chunk. This sink gathers chunks into larger writes. On a crash at most one buffer (not yet
 * written) is lost, and the next pull resumes from what reached the disk.
 */
import type { BlobIngest, BlobSink } from '@c/image';

export const DEFAULT_WRITE_BUFFER = 1024 * 1024;

class CoalescingIngest implements BlobIngest {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly inner: BlobIngest,
    private readonly bufferBytes: number,
  ) {}

  get offset(): number {
    return this.inner.offset;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    if (this.pendingBytes >= this.bufferBytes) await this.flush();
  }

  async commit(): Promise<void> {
    await this.flush();
    await this.inner.commit();
  }

  async close(): Promise<void> {
    await this.flush();
    await this.inner.close();
  }

  async abort(): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    await this.inner.abort();
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await this.inner.write(data);
  }
}

/** Wraps a sink so its ingests receive writes of about `bufferBytes` each. */
export function coalescingSink<T extends BlobSink>(sink: T, bufferBytes = DEFAULT_WRITE_BUFFER): BlobSink {
  return {
    has: (digest) => sink.has(digest),
    ingest: async (digest, expectedSize) => new CoalescingIngest(await sink.ingest(digest, expectedSize), bufferBytes),
  };
}
