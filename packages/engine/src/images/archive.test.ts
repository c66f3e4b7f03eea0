import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { END_OF_ARCHIVE, encodeHeader, paddingFor } from '@c/layers';
import { ExtractedArchive, loadArchive } from './archive-load';
import { archiveDocuments, saveArchive } from './archive-save';
import { sha256, writeDocument } from './documents';
import { MemoryBlobStore } from './test-fakes';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-archive-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A one-file layer tar. */
function layerTar(name: string, text: string): Buffer {
  const data = Buffer.from(text);
  const header = encodeHeader({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: 0, linkname: '', devmajor: 0, devminor: 0, uname: '', gname: '' });
  return Buffer.concat([header, data, paddingFor(data.length), END_OF_ARCHIVE]);
}

/** A tar of regular files. */
function filesTar(files: Record<string, Buffer>): Buffer {
  const parts = Object.entries(files).flatMap(([name, data]) => [
    encodeHeader({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: 0, linkname: '', devmajor: 0, devminor: 0, uname: '', gname: '' }),
    data,
    paddingFor(data.length),
  ]);
  return Buffer.concat([...parts, END_OF_ARCHIVE]);
}

async function put(store: MemoryBlobStore, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const ingest = await store.ingest(digest, bytes.length);
  await ingest.write(bytes);
  await ingest.commit();
  return digest;
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe('docker-archive save and load', () => {
  it('manifest.json and repositories name config, tags and layers as docker save does', () => {
    const { manifest, repositories } = archiveDocuments([
      { configDigest: `sha256:${'c'.repeat(64)}`, layers: [], diffIds: [`sha256:${'1'.repeat(64)}`, `sha256:${'2'.repeat(64)}`], repoTags: ['busybox:latest', 'localhost:5000/b:v1'] },
      { configDigest: `sha256:${'d'.repeat(64)}`, layers: [], diffIds: [], repoTags: [] },
    ]);
    expect(manifest).toEqual([
      { Config: `${'c'.repeat(64)}.json`, RepoTags: ['busybox:latest', 'localhost:5000/b:v1'], Layers: [`${'1'.repeat(64)}/layer.tar`, `${'2'.repeat(64)}/layer.tar`] },
      { Config: `${'d'.repeat(64)}.json`, RepoTags: null, Layers: [] },
    ]);
    expect(repositories).toEqual({ busybox: { latest: '2'.repeat(64) }, 'localhost:5000/b': { v1: '2'.repeat(64) } });
  });

  it('round trip: gzip layers leave uncompressed, come back with the same config (image id) and DiffIDs', async () => {
    const source = new MemoryBlobStore();
    const tars = [layerTar('a.txt', 'first layer\n'), layerTar('b.txt', 'second layer\n')];
    const layers = [];
    for (const tar of tars) {
      const gz = gzipSync(tar);
      layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await put(source, gz), size: gz.length });
    }
    const diffIds = tars.map((t) => sha256(t));
    const config = await writeDocument(source, 'application/vnd.oci.image.config.v1+json', { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } });
    const tar = await collect(saveArchive(source, [{ configDigest: config.digest, layers, diffIds, repoTags: ['busybox:latest'] }], dir));

    const archive = await ExtractedArchive.extract(Readable.from([tar]), join(dir, 'x'));
    // The layer files are the uncompressed tars: their digests are the DiffIDs (what skopeo and docker check).
    expect(sha256(readFileSync(archive.path(`${diffIds[0]!.slice(7)}/layer.tar`)!))).toBe(diffIds[0]);
    const target = new MemoryBlobStore();
    const loaded = await loadArchive(archive, target, dir);
    expect(loaded).toHaveLength(1);
    expect(loaded[0]!.configDigest).toBe(config.digest);
    expect(loaded[0]!.names).toEqual(['busybox:latest']);
    const manifest = JSON.parse(Buffer.from(await target.read(loaded[0]!.manifest.digest)).toString()) as { layers: Array<{ digest: string }> };
    expect(manifest.layers).toHaveLength(2);
    for (const [i, layer] of manifest.layers.entries()) expect(sha256(Buffer.from(await collect(await target.open(layer.digest))))).not.toBe(diffIds[i]);
  });

  // 10,001 labels: one more than @c/image's MAX_MAP_ENTRIES, whose keys would reach the CLI (decision 0017).
  const floodedConfig = (diffIds: string[]) => ({
    architecture: 'amd64',
    os: 'linux',
    config: { Labels: Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`l${i}`, ''])) },
    rootfs: { type: 'layers', diff_ids: diffIds },
  });

  it('refuses a docker-archive config with more map entries than a pull accepts, storing nothing', async () => {
    const source = new MemoryBlobStore();
    const tar = layerTar('a.txt', 'layer\n');
    const gz = gzipSync(tar);
    const layers = [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await put(source, gz), size: gz.length }];
    const config = await writeDocument(source, 'application/vnd.oci.image.config.v1+json', floodedConfig([sha256(tar)]));
    const saved = await collect(saveArchive(source, [{ configDigest: config.digest, layers, diffIds: [sha256(tar)], repoTags: ['flood:latest'] }], dir));
    const target = new MemoryBlobStore();
    const error = await loadArchive(await ExtractedArchive.extract(Readable.from([saved]), join(dir, 'x')), target, dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringContaining('config.Labels: 10001 entries') });
    expect(await target.has(config.digest)).toBe(false);
  });

  it.each(['config', 'manifest'])('refuses an OCI layout whose %s has more map entries than a pull accepts', async (flooded) => {
    const configBytes = Buffer.from(JSON.stringify(flooded === 'config' ? floodedConfig([]) : { ...floodedConfig([]), config: {} }));
    const annotations = flooded === 'manifest' ? { annotations: Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`a${i}`, ''])) } : {};
    const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(configBytes), size: configBytes.length }, layers: [], ...annotations }));
    const index = { schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifestBytes), size: manifestBytes.length }] };
    const layout = filesTar({
      'oci-layout': Buffer.from('{"imageLayoutVersion":"1.0.0"}'),
      'index.json': Buffer.from(JSON.stringify(index)),
      [`blobs/sha256/${sha256(configBytes).slice(7)}`]: configBytes,
      [`blobs/sha256/${sha256(manifestBytes).slice(7)}`]: manifestBytes,
    });
    const target = new MemoryBlobStore();
    const error = await loadArchive(await ExtractedArchive.extract(Readable.from([layout]), join(dir, 'o')), target, dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringContaining(`${flooded === 'config' ? 'config.Labels' : 'annotations'}: 10001 entries`) });
    expect(await target.has(sha256(configBytes))).toBe(false);
    expect(await target.has(sha256(manifestBytes))).toBe(false);
  });

  it('refuses an OCI layout manifest larger than a pull accepts before reading it, storing nothing', async () => {
    const manifestBytes = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    const digest = sha256(manifestBytes);
    const index = { schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: manifestBytes.length }] };
    const layout = filesTar({
      'oci-layout': Buffer.from('{"imageLayoutVersion":"1.0.0"}'),
      'index.json': Buffer.from(JSON.stringify(index)),
      [`blobs/sha256/${digest.slice(7)}`]: manifestBytes,
    });
    const target = new MemoryBlobStore();
    const error = await loadArchive(await ExtractedArchive.extract(Readable.from([layout]), join(dir, 'big')), target, dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(`the manifest blobs/sha256/${digest.slice(7)} is larger than 4194304 bytes`) });
    expect(await target.has(digest)).toBe(false);
  });

  it('refuses an archive that is neither docker-archive nor OCI layout, and paths leaving the archive', async () => {
    const archive = await ExtractedArchive.extract(Readable.from([layerTar('hello.txt', 'x')]), join(dir, 'y'));
    await expect(loadArchive(archive, new MemoryBlobStore(), dir)).rejects.toThrow(/neither manifest.json/);
    await expect(ExtractedArchive.extract(Readable.from([layerTar('../evil', 'x')]), join(dir, 'z'))).rejects.toThrow(/'\.\.'/);
  });
});
