/** Test-only in-memory BlobStore honouring the BlobSink/BlobSource contracts (resumable ingests, verified commit). */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { CError } from '@c/errors';
import type { BlobIngest, BlobStore, Digest } from '@c/image';

export function sha256(bytes: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export class MemoryBlobStore implements BlobStore {
  readonly blobs = new Map<Digest, Uint8Array>();
  /** Partial data kept by close() for a later resume. */
  readonly partial = new Map<Digest, Buffer>();
  readonly events: string[] = [];

  async has(digest: Digest): Promise<boolean> {
    return this.blobs.has(digest);
  }

  put(bytes: Uint8Array | string): Digest {
    const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    const digest = sha256(data);
    this.blobs.set(digest, new Uint8Array(data));
    return digest;
  }

  async ingest(digest: Digest, expectedSize: number): Promise<BlobIngest> {
    const chunks: Buffer[] = [];
    const held = this.partial.get(digest);
    if (held) chunks.push(held);
    let length = held?.length ?? 0;
    this.partial.delete(digest);
    let open = true;
    const store = this;
    const ensureOpen = () => {
      if (!open) throw new Error(`ingest ${digest} used after it was finished`);
    };
    return {
      offset: length,
      async write(chunk: Uint8Array) {
        ensureOpen();
        chunks.push(Buffer.from(chunk));
        length += chunk.length;
      },
      async commit() {
        ensureOpen();
        open = false;
        const data = Buffer.concat(chunks, length);
        const actual = sha256(data);
        if (data.length !== expectedSize || actual !== digest) {
          store.events.push(`mismatch ${digest}`);
          throw new CError('DIGEST_MISMATCH', `blob ${digest}: got ${actual} (${data.length}/${expectedSize} bytes)`);
        }
        store.blobs.set(digest, new Uint8Array(data));
        store.events.push(`commit ${digest}`);
      },
      async close() {
        if (!open) return;
        open = false;
        store.partial.set(digest, Buffer.concat(chunks, length));
        store.events.push(`close ${digest} ${length}`);
      },
      async abort() {
        if (!open) return;
        open = false;
        store.events.push(`abort ${digest}`);
      },
    };
  }

  async size(digest: Digest): Promise<number> {
    return (await this.read(digest)).length;
  }

  async open(digest: Digest): Promise<Readable> {
    return Readable.from([Buffer.from(await this.read(digest))]);
  }

  async read(digest: Digest): Promise<Uint8Array> {
    const blob = this.blobs.get(digest);
    if (!blob) throw new CError('NOT_FOUND', `blob ${digest} not in memory store`);
    return blob;
  }
}
