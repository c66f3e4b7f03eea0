/**
 * `c import`: a root filesystem tarball (plain or gzip) becomes a one-layer image. The layer is stored gzipped;
 * its DiffID is the sha256 of the uncompressed tar. Both digests are computed while the bytes stream through,
 * the compressed layer goes to a temp file first because its digest (the store's key) is known only at the end.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingPassThrough } from './hash-stream';
import { CError } from '@c/errors';
import type { BlobStore, Descriptor } from '@c/image';
import type { ByteSource } from './ports';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface StoredLayer {
  descriptor: Descriptor;
  diffId: string;
  /** Size of the uncompressed tar. */
  uncompressedSize: number;
}

const TAR_BLOCK = 512;

/** True when the first 512-byte block is a tar header (valid checksum) or the all-zero end-of-archive block. */
export function looksLikeTar(block: Uint8Array): boolean {
  if (block.length < TAR_BLOCK) return false;
  if (block.every((byte) => byte === 0)) return true;
  const stored = Number.parseInt(Buffer.from(block.subarray(148, 156)).toString('latin1').replace(/\0/g, ' ').trim(), 8);
  if (Number.isNaN(stored)) return false;
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  return sum === stored;
}

/** Checks the first block is tar before letting the rest through, so a random file fails fast and clearly. */
class TarCheck extends Transform {
  private head: Buffer | undefined = Buffer.alloc(0);
  constructor(private readonly sourceName: string) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.head) return callback(null, chunk);
    this.head = Buffer.concat([this.head, chunk]);
    if (this.head.length < TAR_BLOCK) return callback();
    const head = this.head;
    this.head = undefined;
    if (!looksLikeTar(head.subarray(0, TAR_BLOCK))) return callback(notTar(this.sourceName));
    callback(null, head);
  }
  override _flush(callback: TransformCallback): void {
    if (this.head) return callback(notTar(this.sourceName));
    callback();
  }
}

function notTar(sourceName: string): CError {
  return new CError('INVALID_ARGUMENT', `import ${sourceName}: not a tar archive (plain or gzip)`, {
    hint: 'pass a root filesystem tarball, e.g. made with `tar -C rootfs -c .`',
  });
}

/** Re-emits the stream, gunzipping it when it starts with the gzip magic. */
async function decompressed(source: ByteSource): Promise<Readable> {
  const iterator = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value);
  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield Buffer.from(next.value);
  }
  const stream = Readable.from(replay());
  // node:zlib on first use: a pull never loads it.
  if (head[0] === 0x1f && head[1] === 0x8b) return stream.pipe((await import('node:zlib')).createGunzip());
  return stream;
}

async function ingestFile(store: BlobStore, path: string, digest: string, size: number): Promise<void> {
  if (await store.has(digest)) return;
  const ingest = await store.ingest(digest, size);
  try {
    for await (const chunk of createReadStream(path, { start: ingest.offset })) await ingest.write(chunk as Buffer);
    await ingest.commit();
  } catch (error) {
    await ingest.abort().catch(() => undefined);
    throw error;
  }
}

/** Streams a tarball into the store as a gzip layer. `tmpDir` must be on the store's filesystem or anywhere writable. */
export async function storeTarballLayer(
  store: BlobStore,
  source: ByteSource,
  options: { tmpDir: string; sourceName: string },
): Promise<StoredLayer> {
  await mkdir(options.tmpDir, { recursive: true });
  const dir = await mkdtemp(join(options.tmpDir, 'import-'));
  try {
    const file = join(dir, 'layer.tar.gz');
    const uncompressed = new HashingPassThrough();
    const compressed = new HashingPassThrough();
    const input = await decompressed(source);
    try {
      const { createGzip } = await import('node:zlib');
      await pipeline(input, new TarCheck(options.sourceName), uncompressed, createGzip(), compressed, createWriteStream(file));
    } catch (error) {
      if (error instanceof CError) throw error;
      throw new CError('INVALID_ARGUMENT', `import ${options.sourceName}: ${(error as Error).message}`, {
        cause: error,
        hint: 'check that the file is a complete tar or tar.gz archive',
      });
    }
    const digest = `sha256:${compressed.hash.digest('hex')}`;
    await ingestFile(store, file, digest, compressed.size);
    return {
      descriptor: { mediaType: OCI_LAYER_GZIP, digest, size: compressed.size },
      diffId: `sha256:${uncompressed.hash.digest('hex')}`,
      uncompressedSize: uncompressed.size,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
