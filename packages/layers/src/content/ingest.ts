/**
 * Resumable blob writes. `openIngest` takes the per-digest lock, finds what an earlier attempt left in
 * ingest/<hex>/data and hands back a writer that continues from there; the digest covers that prefix too.
 * A writer may ask for its writes to be gathered into batches written with one writev(2) each (no copies);
 * by default each write is in the file when its promise resolves. Large blobs are hashed off the main thread
 * from the data file as it grows (file-hasher.ts), small ones as they are written.
 * commit() verifies size and digest before the blob becomes visible.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { CError } from '@c/errors';
import type { BlobIngest } from '@c/image';
import { createDigester, digestMismatch, parseBlobDigest, sizeMismatch, type BlobDigestAlgorithm, type Digester } from './digest';
import { hashFileOffThread, type FileHashJob } from './file-hasher';
import { holdFileLock, type ReleaseLock } from './hold-lock';
import { readIngestMeta, writeIngestMeta } from './ingest-meta';
import type { ContentLayout } from './layout';
import { publishBlob } from './publish';

export interface OpenIngestOptions {
  /** How long to wait for another writer of the same digest before failing with UNAVAILABLE. */
  lockTimeoutMs: number;
  /** Blobs of at least this many bytes are hashed on a worker thread (Infinity: never). */
  hashOffThreadFrom: number;
  /** Gather writes until this many bytes, then write them at once (0: write each one as it comes). */
  writeBatchBytes: number;
}

/** Chunks gathered before one writev(2) (well under IOV_MAX). */
const WRITE_BATCH_CHUNKS = 256;

/** Opens (or resumes) the write of `digest`, which must end up `expectedSize` bytes long. */
export async function openIngest(
  layout: ContentLayout,
  digest: string,
  expectedSize: number,
  options: OpenIngestOptions,
): Promise<BlobIngest> {
  const { algorithm } = parseBlobDigest(digest);
  checkSize(expectedSize, digest);
  if ((await committedSize(layout, digest)) === expectedSize) return completedIngest(digest, expectedSize);

  const ref = layout.ingestRefOf(digest);
  const release = await holdFileLock(layout.ingestLock(ref), `the ingest of ${digest}`, options.lockTimeoutMs);
  try {
    // Whoever held the lock before us may have committed the blob while we waited.
    if (await keepCommitted(layout, digest, expectedSize)) {
      // A commit that crashed after its rename leaves the ingest directory behind; it is no longer needed.
      await rm(layout.ingestDir(ref), { recursive: true, force: true });
      await release();
      return completedIngest(digest, expectedSize);
    }
    const dataPath = layout.ingestData(ref);
    const kept = await usablePartial(layout, ref, digest, expectedSize);
    if (kept === 0) {
      await rm(layout.ingestDir(ref), { recursive: true, force: true });
      await mkdir(layout.ingestDir(ref), { recursive: true });
      await writeIngestMeta(layout.ingestMeta(ref), { digest, expectedSize, startedAt: new Date().toISOString() });
    }
    const handle = await open(dataPath, 'a', 0o600);
    let hash: IngestHash;
    try {
      hash = await startHash(dataPath, algorithm, kept, expectedSize >= options.hashOffThreadFrom);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new FileIngest({ layout, ref, digest, expectedSize, handle, hash, kept, batchBytes: options.writeBatchBytes, release });
  } catch (error) {
    await release();
    throw error;
  }
}

/** How an ingest computes its digest: inline over the chunks it is handed, or from the file off the main thread. */
type IngestHash = { kind: 'inline'; digester: Digester } | { kind: 'file'; job: FileHashJob };

async function startHash(dataPath: string, algorithm: BlobDigestAlgorithm, kept: number, offThread: boolean): Promise<IngestHash> {
  if (offThread) {
    let job: FileHashJob | undefined;
    try {
      job = hashFileOffThread(dataPath, algorithm);
    } catch {
      // No worker thread to be had (a restricted runtime): hash on this thread instead.
    }
    if (job) {
      if (kept > 0) job.advance(kept);
      return { kind: 'file', job };
    }
  }
  const digester = createDigester(algorithm);
  if (kept > 0) await hashPrefix(dataPath, kept, digester);
  return { kind: 'inline', digester };
}

function checkSize(size: number, digest: string): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new CError('INVALID_ARGUMENT', `invalid expected size ${size} for ${digest}`, {
      hint: 'pass the size from the blob descriptor (a non-negative integer)',
      details: { digest, size },
    });
  }
}

async function committedSize(layout: ContentLayout, digest: string): Promise<number | undefined> {
  try {
    return (await stat(layout.blobPath(digest))).size;
  } catch {
    return undefined;
  }
}

/**
 * Whether a committed blob answers this ingest. A digest fixes the size, so a stored blob of another size
 * is either the caller's mistake (the blob verifies: DIGEST_MISMATCH) or damage on disk (it does not: the
 * blob is removed and written again, so a corrupted store heals on the next pull).
 */
async function keepCommitted(layout: ContentLayout, digest: string, expectedSize: number): Promise<boolean> {
  const size = await committedSize(layout, digest);
  if (size === undefined) return false;
  if (size === expectedSize) return true;
  if (await blobIntact(layout.blobPath(digest), digest)) throw sizeMismatch(digest, expectedSize, size, 'ingest');
  await rm(layout.blobPath(digest), { force: true });
  return false;
}

/** Re-hashes a stored file and compares it with the digest it is stored under. */
export async function blobIntact(path: string, digest: string): Promise<boolean> {
  const digester = createDigester(parseBlobDigest(digest).algorithm);
  try {
    for await (const chunk of createReadStream(path)) digester.update(chunk as Buffer);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  return digester.digest() === digest;
}

/** Bytes of an earlier attempt worth keeping (0 when there is none, or it belongs to something else). */
async function usablePartial(layout: ContentLayout, ref: string, digest: string, expectedSize: number): Promise<number> {
  const meta = await readIngestMeta(layout.ingestMeta(ref));
  if (!meta || meta.digest !== digest || meta.expectedSize !== expectedSize) return 0;
  try {
    const size = (await stat(layout.ingestData(ref))).size;
    // More bytes than the blob can have means the partial is garbage.
    return size <= expectedSize ? size : 0;
  } catch {
    return 0;
  }
}

async function hashPrefix(path: string, length: number, running: Digester): Promise<void> {
  const stream = createReadStream(path, { start: 0, end: length - 1 });
  for await (const chunk of stream) running.update(chunk as Buffer);
  if (running.bytes !== length) {
    throw new CError('INTERNAL', `resuming ${path}: read ${running.bytes} of ${length} bytes`, {
      hint: 'another process changed the partial data; abort the ingest and retry',
    });
  }
}

/** The writer returned when the blob is already committed: nothing left to write, commit has nothing to do. */
function completedIngest(digest: string, expectedSize: number): BlobIngest {
  return {
    offset: expectedSize,
    async write(chunk: Uint8Array) {
      if (chunk.byteLength > 0) {
        throw sizeMismatch(digest, expectedSize, expectedSize + chunk.byteLength, 'ingest of a committed blob');
      }
    },
    async commit() {},
    async close() {},
    async abort() {},
  };
}

interface FileIngestParts {
  layout: ContentLayout;
  ref: string;
  digest: string;
  expectedSize: number;
  handle: FileHandle;
  hash: IngestHash;
  /** Bytes an earlier attempt left on disk (hashed already, or being hashed). */
  kept: number;
  batchBytes: number;
  release: ReleaseLock;
}

type IngestState = 'open' | 'committed' | 'closed' | 'aborted';

class FileIngest implements BlobIngest {
  readonly #parts: FileIngestParts;
  #state: IngestState = 'open';
  /** Bytes accepted: on disk plus gathered. */
  #held: number;
  /** Bytes in the data file. */
  #onDisk: number;
  #batch: Uint8Array[] = [];
  #batchBytes = 0;
  // Writes are chained so a caller that does not await each one still appends in order.
  #queue: Promise<void> = Promise.resolve();

  constructor(parts: FileIngestParts) {
    this.#parts = parts;
    this.#held = parts.kept;
    this.#onDisk = parts.kept;
  }

  get offset(): number {
    return this.#parts.kept;
  }

  /** Bytes held so far, the resumed prefix included. */
  get written(): number {
    return this.#held;
  }

  write(chunk: Uint8Array): Promise<void> {
    return this.#enqueue(async () => {
      this.#checkOpen('write to');
      const { digest, expectedSize, hash } = this.#parts;
      if (this.#held + chunk.byteLength > expectedSize) {
        const actual = this.#held + chunk.byteLength;
        await this.#discard();
        throw sizeMismatch(digest, expectedSize, actual, 'ingest');
      }
      if (chunk.byteLength === 0) return;
      if (hash.kind === 'inline') hash.digester.update(chunk);
      this.#held += chunk.byteLength;
      // A batching caller hands over its chunks (network buffers are not reused): kept, not copied.
      this.#batch.push(chunk);
      this.#batchBytes += chunk.byteLength;
      if (this.#batchBytes >= this.#parts.batchBytes || this.#batch.length >= WRITE_BATCH_CHUNKS) await this.#flush();
    });
  }

  commit(): Promise<void> {
    return this.#enqueue(async () => {
      this.#checkOpen('commit');
      const { layout, ref, digest, expectedSize, handle, hash } = this.#parts;
      await this.#flushOrDiscard();
      if (this.#held !== expectedSize) {
        const actual = this.#held;
        await this.#discard();
        throw sizeMismatch(digest, expectedSize, actual, 'ingest commit');
      }
      // The fsync and the end of the hashing overlap; nothing is published before both are done.
      const [actual] = await Promise.all([
        hash.kind === 'inline' ? hash.digester.digest() : hash.job.finish(this.#onDisk),
        handle.sync(),
      ]);
      if (actual !== digest) {
        await this.#discard();
        throw digestMismatch(digest, actual, 'ingest commit');
      }
      await handle.close();
      try {
        await publishBlob(layout, layout.ingestData(ref), digest);
        await rm(layout.ingestDir(ref), { recursive: true, force: true });
      } finally {
        this.#state = 'committed';
        await this.#parts.release();
      }
    });
  }

  close(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#state !== 'open') return;
      try {
        await this.#flush();
      } finally {
        this.#state = 'closed';
        this.#stopHash();
        try {
          await this.#parts.handle.sync();
          await this.#parts.handle.close();
        } finally {
          await this.#parts.release();
        }
      }
    });
  }

  abort(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#state !== 'open') return;
      await this.#discard();
    });
  }

  /** Writes the gathered chunks with writev(2), continuing after short writes. */
  async #flush(): Promise<void> {
    if (this.#batchBytes === 0) return;
    let chunks = this.#batch;
    const total = this.#batchBytes;
    this.#batch = [];
    this.#batchBytes = 0;
    let done = 0;
    while (done < total) {
      const { bytesWritten } = await this.#parts.handle.writev(chunks);
      done += bytesWritten;
      if (done < total) chunks = remainingAfter(chunks, bytesWritten);
    }
    this.#onDisk += total;
    if (this.#parts.hash.kind === 'file') this.#parts.hash.job.advance(this.#onDisk);
  }

  async #flushOrDiscard(): Promise<void> {
    try {
      await this.#flush();
    } catch (error) {
      await this.#discard();
      throw error;
    }
  }

  #stopHash(): void {
    if (this.#parts.hash.kind === 'file') this.#parts.hash.job.drop();
  }

  /** Drops the partial data and the lock; the next ingest of this digest starts from zero. */
  async #discard(): Promise<void> {
    this.#state = 'aborted';
    this.#batch = [];
    this.#batchBytes = 0;
    this.#stopHash();
    try {
      await this.#parts.handle.close().catch(() => undefined);
      await rm(this.#parts.layout.ingestDir(this.#parts.ref), { recursive: true, force: true });
    } finally {
      await this.#parts.release();
    }
  }

  #checkOpen(action: string): void {
    if (this.#state !== 'open') {
      throw new CError('CONFLICT', `cannot ${action} the ingest of ${this.#parts.digest}: it is ${this.#state}`, {
        hint: 'open a new ingest with ContentStore.ingest()',
        details: { digest: this.#parts.digest, state: this.#state },
      });
    }
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(step);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

/** The chunks still to write after the first `written` bytes of `chunks` went out. */
function remainingAfter(chunks: Uint8Array[], written: number): Uint8Array[] {
  let skip = written;
  let index = 0;
  while (index < chunks.length && skip >= chunks[index]!.byteLength) skip -= chunks[index++]!.byteLength;
  const rest = chunks.slice(index);
  if (skip > 0 && rest[0]) rest[0] = rest[0].subarray(skip);
  return rest;
}
