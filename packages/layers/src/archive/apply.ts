/**
 * Applies one layer blob to a directory in a single pass: the compressed bytes are hashed (the blob
 * digest), decompressed, hashed again (the DiffID), parsed and written, with no intermediate file.
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Decompress as ZstdDecompress } from 'fzstd';
import { CError } from '@c/errors';
import { type Compression, resolveCompression } from './compression';
import { type DevicePolicy, Extractor, type WhiteoutMode } from './extractor';
import { FileWriteQueue } from './file-writes';
import { streamHash } from './stream-hash';
import { TarReader } from './tar-reader';

export interface ApplyLimits {
  /** Most uncompressed bytes accepted (default 64 GiB). */
  maxBytes: number;
  /** Most tar entries accepted (default 2,000,000). */
  maxEntries: number;
  /** Most uncompressed bytes per compressed byte, checked once `ratioFloor` bytes are out (default 1100). */
  maxRatio: number;
  /** Uncompressed bytes below which the ratio is not checked (default 256 MiB). */
  ratioFloor: number;
}

export interface ApplyOptions {
  /** The layer's media type; when absent the compression is recognised by its magic bytes. */
  mediaType?: string;
  /** 'overlay' writes overlayfs whiteouts (for an overlay upper dir); 'delete' removes (default). */
  whiteouts?: WhiteoutMode;
  /** The parent layers' dirs, nearest first, when applying into an overlay upper dir (see RootResolver). */
  lowerRoots?: readonly string[];
  /**
   * The layers below are still being unpacked: read none of them (see ExtractorOptions.lowerLayersPending). The
   * result then lists the implicit directories to pass to `inheritLowerAttributes` once they are complete.
   */
  lowerLayersPending?: boolean;
  /** Set uid/gid from the archive; defaults to true when running as root. */
  preserveOwnership?: boolean;
  /** Device nodes: 'create' (default as root, as docker does), 'skip' (default otherwise) or 'reject'. */
  devices?: DevicePolicy;
  limits?: Partial<ApplyLimits>;
  /** The blob digest to verify while streaming (DIGEST_MISMATCH when it differs). */
  expectedDigest?: string;
  /**
   * Hash the blob as read (default true). false for a blob already verified by digest where it is stored (a
   * content store checks each blob at commit): the DiffID still checks every byte that gets unpacked, and
   * `compressedDigest` is then absent. Cannot be combined with `expectedDigest`.
   */
  hashBlob?: boolean;
  /** The DiffID to verify (DIGEST_MISMATCH when it differs). */
  expectedDiffId?: string;
  signal?: AbortSignal;
}

export interface ApplyResult {
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** sha256 of the blob as read (equal to diffId when uncompressed); absent with `hashBlob: false`. */
  compressedDigest?: string;
  compression: Compression;
  /** Tar entries processed. */
  entries: number;
  /** Uncompressed bytes. */
  bytes: number;
  /** Entries or attributes dropped by policy. */
  neutralised: number;
  /** With `lowerLayersPending`: directories made only as parents, which still need their lower attributes. */
  implicitDirectories?: string[];
}

export const DEFAULT_APPLY_LIMITS: ApplyLimits = {
  maxBytes: 64 * 2 ** 30,
  maxEntries: 2_000_000,
  maxRatio: 1100,
  ratioFloor: 256 * 2 ** 20,
};

/** Inflated bytes per zlib callback: 1 MiB has a quarter of the callbacks and buffers of 256 KiB (-12% CPU measured). */
const DECOMPRESSED_CHUNK = 1024 * 1024;

/** A byte source: a Node stream or any async iterable of chunks. */
export type ByteSource = AsyncIterable<Uint8Array>;

/** Releases a source that was opened but never read (a file stream holds its descriptor until then). */
export async function closeUnread(source: ByteSource): Promise<void> {
  await source[Symbol.asyncIterator]().return?.();
}

/** The failure of an apply whose signal was aborted. */
export function applyCancelled(signal: AbortSignal): CError {
  return new CError('CANCELLED', 'layer apply was cancelled', { cause: signal.reason });
}

/** Applies the layer read from `source` to the directory `root`. */
export async function applyLayer(source: ByteSource, root: string, options: ApplyOptions = {}): Promise<ApplyResult> {
  const limits = { ...DEFAULT_APPLY_LIMITS, ...options.limits };
  const hashBlob = options.hashBlob ?? true;
  if (!hashBlob && options.expectedDigest !== undefined) {
    throw new CError('INVALID_ARGUMENT', 'applyLayer: expectedDigest needs the blob hashed, but hashBlob is false', {
      hint: 'drop expectedDigest for a blob verified where it is stored, or hash it',
    });
  }
  const isRoot = process.geteuid?.() === 0;
  const extractor = new Extractor(root, {
    whiteouts: options.whiteouts ?? 'delete',
    preserveOwnership: options.preserveOwnership ?? isRoot,
    devices: options.devices ?? (isRoot ? 'create' : 'skip'),
    maxEntries: limits.maxEntries,
    ...(options.lowerRoots ? { lowerRoots: options.lowerRoots } : {}),
    ...(options.lowerLayersPending ? { lowerLayersPending: true } : {}),
  });
  const reader = new TarReader(extractor.onEntry);
  // No hash object at all when the blob is not hashed (hashBlob: false).
  const blobHash = hashBlob ? createHash('sha256') : undefined;
  // The DiffID: hashed on a worker thread once the layer is past a few MiB (see stream-hash.ts).
  const tarHash = streamHash();
  let blobBytes = 0;
  let tarBytes = 0;

  const consume = (chunk: Uint8Array) => {
    tarBytes += chunk.length;
    if (tarBytes > limits.maxBytes) {
      throw new CError('LIMIT_EXCEEDED', `layer expands to more than ${limits.maxBytes} bytes`, {
        hint: 'the layer is a decompression bomb or larger than allowed; raise maxBytes if it is trusted',
      });
    }
    if (tarBytes > limits.ratioFloor && tarBytes > blobBytes * limits.maxRatio) {
      throw new CError('LIMIT_EXCEEDED', `layer expands more than ${limits.maxRatio}× (${blobBytes} → ${tarBytes} bytes so far)`, {
        hint: 'the layer is a decompression bomb; raise maxRatio if it is trusted',
      });
    }
    tarHash.update(chunk);
    reader.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  };

  let compression: Compression = 'none';
  try {
    const blob = hashedSource(source, (chunk) => {
      blobBytes += chunk.length;
      blobHash?.update(chunk);
    }, options.signal);
    const head = await blob.peek(4);
    compression = resolveCompression(head, options.mediaType);
    if (compression === 'gzip') {
      // node:zlib on first use: a process that only downloads never loads it.
      const { createGunzip } = await import('node:zlib');
      // zlib hands out each output buffer once, so large files' data can be written later, on the thread pool.
      const writes = new FileWriteQueue();
      extractor.writeLargeFilesThrough(writes);
      await pipeline(blob.chunks(), createGunzip({ chunkSize: DECOMPRESSED_CHUNK }), sinkOf(consume, () => both(writes.backpressure(), tarHash.backpressure())));
    } else if (compression === 'zstd') {
      const zstd = new ZstdDecompress((chunk) => consume(chunk));
      for await (const chunk of blob.chunks()) {
        zstd.push(chunk);
        await tarHash.backpressure();
      }
      zstd.push(new Uint8Array(0), true);
    } else {
      for await (const chunk of blob.chunks()) {
        consume(chunk);
        await tarHash.backpressure();
      }
    }
    reader.finish();
    await extractor.settle();
    extractor.finish();
  } catch (error) {
    tarHash.abort();
    throw asLayerError(error);
  } finally {
    await extractor.close();
  }

  const compressedDigest = blobHash ? `sha256:${blobHash.digest('hex')}` : undefined;
  const diffId = await tarHash.digest();
  if (options.expectedDigest && options.expectedDigest !== compressedDigest) {
    throw new CError('DIGEST_MISMATCH', `layer blob digest is ${compressedDigest}, expected ${options.expectedDigest}`, {
      hint: 'the blob is corrupt; delete it from the content store and pull again',
      details: { expected: options.expectedDigest, actual: compressedDigest },
    });
  }
  if (options.expectedDiffId && options.expectedDiffId !== diffId) {
    throw new CError('DIGEST_MISMATCH', `${compressedDigest ? `layer ${compressedDigest}` : 'the layer'} has DiffID ${diffId}, the image config says ${options.expectedDiffId}`, {
      hint: 'the image config and the layer disagree: the image is corrupt, or its stored blob was damaged (remove the image and pull it again)',
      details: { expected: options.expectedDiffId, actual: diffId },
    });
  }
  const result: ApplyResult = { diffId, compression, entries: extractor.stats.entries, bytes: tarBytes, neutralised: extractor.stats.neutralised };
  if (compressedDigest !== undefined) result.compressedDigest = compressedDigest;
  if (options.lowerLayersPending) result.implicitDirectories = extractor.implicitDirectories();
  return result;
}

/**
 * The end of the gzip pipeline. zlib pushes each inflated chunk synchronously into this sink and schedules
 * the next inflate only when the push returns, so extracting inside `write` would serialise the two. The
 * extraction runs on the next turn instead, and a deep buffer lets the thread pool inflate ahead while the
 * main thread writes files. `wait` says when the queued file writes are too far behind to take more.
 */
function sinkOf(consume: (chunk: Uint8Array) => void, wait: () => Promise<void> | undefined): Writable {
  return new Writable({
    highWaterMark: 8 * DECOMPRESSED_CHUNK,
    write(chunk: Buffer, _encoding, callback) {
      setImmediate(() => {
        try {
          consume(chunk);
          const pending = wait();
          if (pending) pending.then(() => callback(), callback);
          else callback();
        } catch (error) {
          callback(error as Error);
        }
      });
    },
  });
}

/** Waits for whichever of two optional waits exist. */
function both(a: Promise<void> | undefined, b: Promise<void> | undefined): Promise<void> | undefined {
  if (a && b) return Promise.all([a, b]).then(() => undefined);
  return a ?? b;
}

/** Wraps a source so every chunk is observed once, with a look at the first bytes before streaming. */
function hashedSource(source: ByteSource, observe: (chunk: Uint8Array) => void, signal: AbortSignal | undefined) {
  const iterator = source[Symbol.asyncIterator]();
  const buffered: Uint8Array[] = [];
  let ended = false;
  const next = async (): Promise<Uint8Array | undefined> => {
    if (signal?.aborted) throw applyCancelled(signal);
    const result = await iterator.next();
    if (result.done) {
      ended = true;
      return undefined;
    }
    const chunk = typeof result.value === 'string' ? Buffer.from(result.value) : result.value;
    observe(chunk);
    return chunk;
  };
  return {
    async peek(count: number): Promise<Uint8Array> {
      let have = buffered.reduce((sum, chunk) => sum + chunk.length, 0);
      while (have < count && !ended) {
        const chunk = await next();
        if (chunk) {
          buffered.push(chunk);
          have += chunk.length;
        }
      }
      return Buffer.concat(buffered).subarray(0, count);
    },
    async *chunks(): AsyncGenerator<Uint8Array> {
      try {
        while (buffered.length > 0) yield buffered.shift()!;
        for (let chunk = await next(); chunk; chunk = await next()) yield chunk;
      } finally {
        if (!ended) await iterator.return?.();
      }
    },
  };
}

/** Decompressor failures become INVALID_ARGUMENT with the cause; fs failures SYSCALL; CErrors pass through. */
function asLayerError(error: unknown): CError {
  if (error instanceof CError) return error;
  const err = error as NodeJS.ErrnoException & { code?: string | number };
  if (typeof err?.syscall === 'string') {
    return new CError('SYSCALL', `${err.syscall} failed while applying a layer: ${err.message}`, {
      cause: error,
      details: { errno: err.code, path: err.path },
      hint: err.code === 'ENOSPC' ? 'free disk space' : undefined,
    });
  }
  const zlibError = typeof err?.code === 'string' && err.code.startsWith('Z_');
  const zstdError = typeof err?.code === 'number' && /zstd|unexpected EOF|block|FSE|distance|window/i.test(err.message);
  if (zlibError || zstdError) {
    return new CError('INVALID_ARGUMENT', `layer could not be decompressed: ${err.message}`, {
      hint: 'the blob is corrupt or truncated; re-pull it',
      cause: error,
    });
  }
  return new CError('INTERNAL', `applying a layer failed: ${String(err?.message ?? error)}`, { cause: error });
}
