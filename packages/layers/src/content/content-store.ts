/**
 * The content store: immutable, verified blobs addressed by digest, written only through resumable
 * ingests (see ingest.ts) or verified staging (writeBlob, importStream). Layout: layout.ts.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CError } from '@c/errors';
import type { BlobIngest, BlobStore } from '@c/image';
import { digestMismatch, digestOf, isBlobDigest, parseBlobDigest, type BlobDigestAlgorithm } from './digest';
import { holdFileLock, isLockHeld } from './hold-lock';
import { removeLockIfFree } from '../util/atomic';
import { BlobCache } from './blob-cache';
import { fileVersion } from '../util/file-version';
import { blobIntact, openIngest } from './ingest';
import { readIngestMeta } from './ingest-meta';
import { ContentLayout, isIngestRef } from './layout';
import { stageBlob } from './stage';

export interface ContentStoreOptions {
  /** How long `ingest()` waits for another writer of the same digest (default 10 minutes). */
  ingestLockTimeoutMs?: number;
  /** The default bound of `read()` (default 64 MiB): it loads the whole blob into memory. */
  readLimit?: number;
  /**
   * Ingests of blobs this large or larger are hashed on a worker thread, from the data file as it grows
   * (default `Infinity`: everything is hashed on the calling thread, as it is written). The worker costs ~50 ms
   * of CPU to start and reads every byte back; once the registry client stopped spending the main thread on
   * 64 KiB HTTP chunks, hashing there was cheaper (bench/pull.sh: 0.47-0.51 s vs 0.55 s, 0.38-0.42 s of CPU
   * vs 0.45-0.52 s, three alternated sets at load 6-7). A long-lived process may still opt in.
   */
  hashOffThreadFrom?: number;
  /**
   * How many bytes of small blobs `read()` keeps in memory (default 8 MiB; 0 turns the cache off). Blobs are
   * immutable, so a daemon that creates containers reads an image's manifest and config from disk once.
   */
  readCacheBytes?: number;
}

/** A committed blob. */
export interface StoredBlob {
  digest: string;
  size: number;
}

export interface BlobInfo extends StoredBlob {
  /** When the blob was committed (its file's mtime), ISO 8601. */
  committedAt: string;
}

/** An unfinished write found under ingest/. */
export interface IngestStatus {
  /** The ingest's name: a digest's hex, or import-<id> for a stream whose digest was not known up front. */
  ref: string;
  digest?: string;
  expectedSize?: number;
  /** Bytes held on disk; a resumed ingest continues from here. */
  offset: number;
  startedAt?: string;
  /** Last write (the data file's mtime), ISO 8601. */
  updatedAt: string;
  /** True while a live process holds the ingest open. */
  active: boolean;
}

export interface ImportStreamOptions {
  /** When given, the stream must hash to it, else DIGEST_MISMATCH and nothing is kept. */
  expectedDigest?: string;
  /** When given, the stream must be exactly this long. */
  size?: number;
  /** Refuse streams longer than this (LIMIT_EXCEEDED). */
  maxSize?: number;
  /** Hash to compute when no expectedDigest says (default sha256). */
  algorithm?: BlobDigestAlgorithm;
}

export interface IngestOptions {
  /**
   * Gather writes until this many bytes and write them with one writev(2) (default 0: every write is in the
   * file when its promise resolves). The chunks are kept, not copied, so the caller must not reuse them. A
   * crash loses at most one batch of the partial data, which a resumed ingest fetches again.
   */
  writeBatchBytes?: number;
}

export interface ReadBlobOptions {
  /** Refuse blobs larger than this many bytes with LIMIT_EXCEEDED. */
  maxSize?: number;
}

export interface AbortIngestOptions {
  /** How long to wait for a live writer to let go (default 100 ms); then CONFLICT. */
  waitMs?: number;
}

const DEFAULT_INGEST_LOCK_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_READ_LIMIT = 64 * 1024 * 1024;
const DEFAULT_HASH_OFF_THREAD_FROM = Number.POSITIVE_INFINITY;
const DEFAULT_READ_CACHE_BYTES = 8 * 1024 * 1024;
/** Blobs up to this size are read with one synchronous call (a config, a manifest: µs), larger ones on the pool. */
const SYNC_READ_MAX_BYTES = 1024 * 1024;

export class ContentStore implements BlobStore {
  readonly layout: ContentLayout;
  readonly #ingestLockTimeoutMs: number;
  readonly #readLimit: number;
  readonly #hashOffThreadFrom: number;
  readonly #cache: BlobCache;

  constructor(root: string, options: ContentStoreOptions = {}) {
    this.layout = new ContentLayout(root);
    this.#ingestLockTimeoutMs = options.ingestLockTimeoutMs ?? DEFAULT_INGEST_LOCK_TIMEOUT_MS;
    this.#readLimit = options.readLimit ?? DEFAULT_READ_LIMIT;
    this.#hashOffThreadFrom = options.hashOffThreadFrom ?? DEFAULT_HASH_OFF_THREAD_FROM;
    this.#cache = new BlobCache(options.readCacheBytes ?? DEFAULT_READ_CACHE_BYTES, SYNC_READ_MAX_BYTES);
  }

  get root(): string {
    return this.layout.root;
  }

  async has(digest: string): Promise<boolean> {
    return this.#statBlob(digest) !== undefined;
  }

  async size(digest: string): Promise<number> {
    return (await this.info(digest)).size;
  }

  async info(digest: string): Promise<BlobInfo> {
    const found = this.#statBlob(digest);
    if (!found) throw blobNotFound(digest);
    return { digest, size: found.size, committedAt: found.mtime.toISOString() };
  }

  /** Opens or resumes the write of a blob (see ingest.ts); `offset` says where the caller continues. */
  async ingest(digest: string, expectedSize: number, options: IngestOptions = {}): Promise<BlobIngest> {
    const writeBatchBytes = options.writeBatchBytes ?? 0;
    if (!Number.isSafeInteger(writeBatchBytes) || writeBatchBytes < 0) {
      throw new CError('INVALID_ARGUMENT', `invalid write batch size ${writeBatchBytes} for the ingest of ${digest}`, {
        hint: 'pass a non-negative number of bytes',
        details: { digest, writeBatchBytes },
      });
    }
    await this.#ensureDirs();
    return openIngest(this.layout, digest, expectedSize, {
      lockTimeoutMs: this.#ingestLockTimeoutMs,
      hashOffThreadFrom: this.#hashOffThreadFrom,
      writeBatchBytes,
    });
  }

  /** A stream of the blob, from byte `start` (default 0). */
  async open(digest: string, options: { start?: number } = {}): Promise<Readable> {
    const start = options.start ?? 0;
    if (!Number.isSafeInteger(start) || start < 0) {
      throw new CError('INVALID_ARGUMENT', `invalid start offset ${start} for blob ${digest}`, {
        hint: 'pass a non-negative byte offset',
        details: { digest, start },
      });
    }
    let handle: FileHandle;
    try {
      handle = await open(this.layout.blobPath(digest), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw blobNotFound(digest);
      throw error;
    }
    return handle.createReadStream({ start });
  }

  /**
   * The whole blob in memory, verified against its digest (meant for manifests and configs). Small blobs are
   * served from memory while their file is unchanged (one stat); a deleted or damaged file is noticed.
   */
  async read(digest: string, options: ReadBlobOptions = {}): Promise<Uint8Array> {
    const limit = options.maxSize ?? this.#readLimit;
    const found = this.#statBlob(digest);
    if (!found) throw blobNotFound(digest);
    const { size } = found;
    if (size > limit) {
      throw new CError('LIMIT_EXCEEDED', `blob ${digest} is ${size} bytes, more than the ${limit} allowed here`, {
        hint: 'stream large blobs with open() instead of read()',
        details: { digest, size, limit },
      });
    }
    const version = fileVersion(found);
    const cached = this.#cache.get(digest, version);
    if (cached !== undefined) return cached;
    let bytes: Buffer;
    try {
      const path = this.layout.blobPath(digest);
      bytes = size <= SYNC_READ_MAX_BYTES ? readFileSync(path) : await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw blobNotFound(digest);
      throw error;
    }
    const actual = digestOf(bytes, parseBlobDigest(digest).algorithm);
    if (actual !== digest) throw digestMismatch(digest, actual, `stored blob ${this.layout.blobPath(digest)}`);
    const result = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#cache.set(digest, version, result);
    return result;
  }

  /**
   * Re-hashes a stored blob (a consistency check, e.g. for `c system check`). False when its bytes no longer
   * match its digest; NOT_FOUND when absent.
   */
  async verify(digest: string): Promise<boolean> {
    if (!(await this.has(digest))) throw blobNotFound(digest);
    return blobIntact(this.layout.blobPath(digest), digest);
  }

  /** Removes a committed blob; NOT_FOUND when absent. Reference checks are the GC's job, not this one's. */
  async delete(digest: string): Promise<void> {
    if (!(await this.has(digest))) throw blobNotFound(digest);
    this.#cache.delete(digest);
    await rm(this.layout.blobPath(digest), { force: true });
  }

  /** Every committed blob. */
  async *list(): AsyncGenerator<StoredBlob> {
    for (const algorithm of ['sha256', 'sha512'] as const) {
      let names: string[];
      try {
        names = await readdir(`${this.layout.blobsRoot}/${algorithm}`);
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        const digest = `${algorithm}:${name}`;
        if (!isBlobDigest(digest)) continue; // stray files never count as blobs
        const found = this.#statBlob(digest);
        if (found) yield { digest, size: found.size };
      }
    }
  }

  /** Every unfinished write, active or left behind by a crash. */
  async listIngests(): Promise<IngestStatus[]> {
    let names: string[];
    try {
      names = await readdir(this.layout.ingestRoot);
    } catch {
      return [];
    }
    const result: IngestStatus[] = [];
    for (const ref of names.sort()) {
      if (!isIngestRef(ref)) continue;
      const status = await this.#ingestStatus(ref);
      if (status) result.push(status);
    }
    return result;
  }

  /**
   * Discards an unfinished write, by ref or by digest. CONFLICT when a live process is writing it.
   * Returns false when there was nothing to discard.
   */
  async abortIngest(refOrDigest: string, options: AbortIngestOptions = {}): Promise<boolean> {
    const ref = refOrDigest.includes(':') ? this.layout.ingestRefOf(refOrDigest) : refOrDigest;
    const dir = this.layout.ingestDir(ref); // validates the ref
    let release;
    try {
      release = await holdFileLock(this.layout.ingestLock(ref), `the ingest ${ref}`, options.waitMs ?? 100);
    } catch (error) {
      throw new CError('CONFLICT', `cannot abort the ingest ${ref}: a running process is writing it`, {
        cause: error,
        hint: 'stop the pull or import first, or retry later',
        details: { ref },
      });
    }
    try {
      const present = this.#statPath(dir) !== undefined;
      await rm(dir, { recursive: true, force: true });
      return present;
    } finally {
      await release();
    }
  }

  /**
   * Removes lock files left by writers that died (kill -9) and whose ingest is gone. A live writer's lock
   * and the lock of an ingest that can still be resumed are kept. Returns how many were removed.
   */
  async pruneLocks(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.layout.locksRoot);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const ref = /^ingest-(.+)\.lock$/.exec(name)?.[1];
      if (ref === undefined || !isIngestRef(ref)) continue;
      const lockPath = this.layout.ingestLock(ref);
      if (this.#statPath(this.layout.ingestDir(ref))) continue;
      if (await removeLockIfFree(lockPath)) removed++;
    }
    return removed;
  }

  /** Stores a small blob held in memory (a manifest or config) and returns its digest. */
  async writeBlob(bytes: Uint8Array, expectedDigest?: string): Promise<StoredBlob> {
    const algorithm = expectedDigest === undefined ? 'sha256' : parseBlobDigest(expectedDigest).algorithm;
    const digest = digestOf(bytes, algorithm);
    if (expectedDigest !== undefined && digest !== expectedDigest) {
      throw digestMismatch(expectedDigest, digest, 'writeBlob');
    }
    if (await this.has(digest)) return { digest, size: bytes.byteLength };
    await this.#ensureDirs();
    const staging = { expectedDigest: digest, size: bytes.byteLength, algorithm, describe: false };
    return stageBlob(this.layout, staging, async (write) => {
      await write(bytes);
    });
  }

  /** Stores a stream whose digest may not be known beforehand (`c import`), hashing while writing. */
  async importStream(readable: AsyncIterable<Uint8Array | string>, options: ImportStreamOptions = {}): Promise<StoredBlob> {
    const algorithm = options.expectedDigest
      ? parseBlobDigest(options.expectedDigest).algorithm
      : (options.algorithm ?? 'sha256');
    await this.#ensureDirs();
    return stageBlob(this.layout, { ...options, algorithm, describe: true }, async (write) => {
      for await (const chunk of readable) await write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    });
  }

  async #ingestStatus(ref: string): Promise<IngestStatus | undefined> {
    const dataStat = this.#statPath(this.layout.ingestData(ref));
    const dirStat = dataStat ?? this.#statPath(this.layout.ingestDir(ref));
    if (!dirStat) return undefined;
    const meta = await readIngestMeta(this.layout.ingestMeta(ref));
    const status: IngestStatus = {
      ref,
      offset: dataStat?.size ?? 0,
      updatedAt: dirStat.mtime.toISOString(),
      active: await isLockHeld(this.layout.ingestLock(ref)),
    };
    if (meta?.digest) status.digest = meta.digest;
    if (meta?.expectedSize !== undefined) status.expectedSize = meta.expectedSize;
    if (meta?.startedAt) status.startedAt = meta.startedAt;
    return status;
  }

  /** A stat is one syscall of µs: synchronous, not a thread-pool round trip. */
  #statBlob(digest: string): Stats | undefined {
    return this.#statPath(this.layout.blobPath(digest));
  }

  #statPath(path: string): Stats | undefined {
    try {
      return statSync(path, { throwIfNoEntry: false });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
  }

  async #ensureDirs(): Promise<void> {
    for (const dir of [this.layout.ingestRoot, this.layout.locksRoot]) {
      try {
        await mkdir(dir, { recursive: true });
      } catch (error) {
        throw new CError('SYSCALL', `cannot create the content store directory ${dir}: ${(error as Error).message}`, {
          cause: error,
          hint: 'check that C_ROOT exists, is a directory and is writable',
          details: { path: dir, errno: (error as NodeJS.ErrnoException).code },
        });
      }
    }
  }
}

function blobNotFound(digest: string): CError {
  return new CError('NOT_FOUND', `blob ${digest} not found in the content store`, {
    hint: 'pull or import the image that contains it',
    details: { digest },
  });
}
