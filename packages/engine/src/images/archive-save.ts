/**
 * `docker save`: images as one docker-archive tarball, the format `docker load` and `skopeo … docker-archive:` read:
 * `manifest.json` (per image: its config file, RepoTags, layer files in order), `repositories` (legacy name →
 * top layer), `<config hex>.json` (the config byte-exact, so the image ID survives) and `<diffid hex>/layer.tar`
 * (each layer uncompressed, so its file digest is the DiffID). A layer shared by two images is written once.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingPassThrough } from './hash-stream';
import { CError } from '@c/errors';
import type { BlobSource, Descriptor } from '@c/image';
import { END_OF_ARCHIVE, detectCompression, encodeHeader, paddingFor, type TarEntry } from '@c/layers';

/** One image to save: its documents and the names (`repo:tag`) it is saved under (none when saved by id). */
export interface SaveItem {
  configDigest: string;
  layers: readonly Descriptor[];
  diffIds: readonly string[];
  repoTags: readonly string[];
}

export interface ArchiveManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

const hexOf = (digest: string): string => digest.slice(digest.indexOf(':') + 1);

function entry(name: string, type: 'file' | 'directory', size = 0): TarEntry {
  return { name, type, mode: type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, size, mtime: 0, linkname: '', devmajor: 0, devminor: 0, uname: '', gname: '' };
}

function* fileRecord(name: string, bytes: Buffer): Generator<Buffer> {
  yield encodeHeader(entry(name, 'file', bytes.length));
  yield bytes;
  yield paddingFor(bytes.length);
}

/** Writes a layer blob uncompressed to `path`; its size is needed for the tar header before its bytes. */
async function uncompressLayer(content: BlobSource, layer: Descriptor, diffId: string, path: string): Promise<number> {
  const iterator = (await content.open(layer.digest))[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value as Uint8Array);
  // Decompress by magic: a gzip layer goes through gunzip, an uncompressed one as it is.
  const compression = detectCompression(head);
  if (compression === 'zstd') {
    await iterator.return?.();
    throw new CError('UNSUPPORTED', `layer ${layer.digest} is zstd-compressed; saving it is not supported yet`, { hint: 'save images with gzip or uncompressed layers' });
  }
  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield Buffer.from(next.value as Uint8Array);
  }
  const measure = new HashingPassThrough();
  const source = Readable.from(replay());
  // node:zlib on first use: a pull never loads it.
  if (compression === 'gzip') await pipeline(source, (await import('node:zlib')).createGunzip(), measure, createWriteStream(path));
  else await pipeline(source, measure, createWriteStream(path));
  const digest = `sha256:${measure.hash.digest('hex')}`;
  if (digest !== diffId) {
    throw new CError('DIGEST_MISMATCH', `layer ${layer.digest} uncompresses to ${digest}, but the image config says ${diffId}`, {
      hint: 'the local copy is damaged: remove the image and pull it again',
    });
  }
  return measure.size;
}

/** The archive's manifest.json and repositories documents for `items`. */
export function archiveDocuments(items: readonly SaveItem[]): { manifest: ArchiveManifestEntry[]; repositories: Record<string, Record<string, string>> } {
  const manifest: ArchiveManifestEntry[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const item of items) {
    const layers = item.diffIds.map((diffId) => `${hexOf(diffId)}/layer.tar`);
    manifest.push({ Config: `${hexOf(item.configDigest)}.json`, RepoTags: item.repoTags.length > 0 ? [...item.repoTags] : null, Layers: layers });
    const top = item.diffIds.at(-1);
    for (const name of item.repoTags) {
      const colon = name.lastIndexOf(':');
      const repository = name.slice(0, colon);
      if (top !== undefined) (repositories[repository] ??= {})[name.slice(colon + 1)] = hexOf(top);
    }
  }
  return { manifest, repositories };
}

/** The docker-archive tarball of `items` as a stream; temporary files live in `tmpDir` until it ends. */
export function saveArchive(content: BlobSource, items: readonly SaveItem[], tmpDir: string): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    const scratch = await mkdtemp(join(tmpDir, 'save-'));
    try {
      const written = new Set<string>();
      for (const item of items) {
        if (item.layers.length !== item.diffIds.length) {
          throw new CError('INVALID_ARGUMENT', `image ${item.configDigest} has ${item.layers.length} layers but ${item.diffIds.length} DiffIDs`, { hint: 'the image is damaged: pull it again' });
        }
        if (!written.has(item.configDigest)) {
          written.add(item.configDigest);
          yield* fileRecord(`${hexOf(item.configDigest)}.json`, Buffer.from(await content.read(item.configDigest)));
        }
        for (const [index, layer] of item.layers.entries()) {
          const diffId = item.diffIds[index]!;
          if (written.has(diffId)) continue;
          written.add(diffId);
          const path = join(scratch, hexOf(diffId));
          const size = await uncompressLayer(content, layer, diffId, path);
          yield encodeHeader(entry(`${hexOf(diffId)}/`, 'directory'));
          yield encodeHeader(entry(`${hexOf(diffId)}/layer.tar`, 'file', size));
          for await (const chunk of createReadStream(path)) yield chunk as Buffer;
          yield paddingFor(size);
          await rm(path, { force: true });
        }
      }
      const { manifest, repositories } = archiveDocuments(items);
      yield* fileRecord('manifest.json', Buffer.from(JSON.stringify(manifest)));
      yield* fileRecord('repositories', Buffer.from(JSON.stringify(repositories)));
      yield END_OF_ARCHIVE;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  return Readable.from(generate(), { objectMode: false });
}
