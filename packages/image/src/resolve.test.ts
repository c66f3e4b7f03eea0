import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { CError } from '@c/errors';
import { describe, expect, it } from 'vitest';
import { createImageConfig, createIndex, createManifest } from './build';
import { descriptorOf, serializeCanonical } from './canonical';
import type { BlobSource, Digest } from './content';
import { sha256Digest } from './digest';
import { MediaType } from './media-types';
import { parsePlatform } from './platform';
import { resolveImage } from './resolve';
import type { Descriptor } from './types';

/** A BlobSource over a map, as a test fake of the content store. */
class MemorySource implements BlobSource {
  readonly blobs = new Map<Digest, Uint8Array>();
  put(bytes: Uint8Array): Digest {
    const digest = sha256Digest(bytes);
    this.blobs.set(digest, bytes);
    return digest;
  }
  #get(digest: Digest): Uint8Array {
    const bytes = this.blobs.get(digest);
    if (bytes === undefined) throw new CError('NOT_FOUND', `blob ${digest} not found`);
    return bytes;
  }
  async size(digest: Digest): Promise<number> {
    return this.#get(digest).byteLength;
  }
  async open(digest: Digest): Promise<Readable> {
    return Readable.from([this.#get(digest)]);
  }
  async read(digest: Digest): Promise<Uint8Array> {
    return this.#get(digest);
  }
}

/** Stores a one-layer image for `platform`; returns its manifest descriptor. */
function storeImage(source: MemorySource, platform: string, layerText: string): Descriptor {
  const tar = new TextEncoder().encode(layerText);
  const layerBytes = gzipSync(tar);
  const layer: Descriptor = { mediaType: MediaType.OciLayerGzip, digest: source.put(layerBytes), size: layerBytes.byteLength };
  const config = serializeCanonical(createImageConfig({ platform: parsePlatform(platform), diffIds: [sha256Digest(tar)] }));
  source.put(config.bytes);
  const manifest = serializeCanonical(createManifest(descriptorOf(config, MediaType.OciConfig), [layer]));
  source.put(manifest.bytes);
  return descriptorOf(manifest, MediaType.OciManifest, { platform: parsePlatform(platform) });
}

async function rejection(promise: Promise<unknown>): Promise<CError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CError);
    return error as CError;
  }
  throw new Error('expected a rejection');
}

describe('resolveImage', () => {
  it('resolves a manifest to its verified config and ChainIDs', async () => {
    const source = new MemorySource();
    const descriptor = storeImage(source, 'linux/amd64', 'layer one');
    const image = await resolveImage(source, descriptor, { verifyLayers: true });
    expect(image.manifestDescriptor).toBe(descriptor);
    expect(image.config.architecture).toBe('amd64');
    expect(image.chainIds).toEqual([sha256Digest('layer one')]);
    expect(image.indexes).toEqual([]);
  });

  it('walks an index to the wanted platform', async () => {
    const source = new MemorySource();
    const amd64 = storeImage(source, 'linux/amd64', 'amd64');
    const arm64 = storeImage(source, 'linux/arm64', 'arm64');
    const index = serializeCanonical(createIndex([amd64, arm64]));
    source.put(index.bytes);
    const indexDescriptor = descriptorOf(index, MediaType.OciIndex);
    const image = await resolveImage(source, indexDescriptor, { platform: parsePlatform('linux/arm64/v8') });
    expect(image.manifestDescriptor.digest).toBe(arm64.digest);
    expect(image.config.architecture).toBe('arm64');
    expect(image.indexes).toEqual([indexDescriptor]);
    const missing = await rejection(resolveImage(source, indexDescriptor, { platform: parsePlatform('linux/s390x') }));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain('linux/amd64, linux/arm64/v8');
  });

  it('detects altered manifests, configs and layers', async () => {
    const source = new MemorySource();
    const descriptor = storeImage(source, 'linux/amd64', 'original');
    const image = await resolveImage(source, descriptor);

    const tamperedLayer = new MemorySource();
    for (const [digest, bytes] of source.blobs) tamperedLayer.blobs.set(digest, bytes);
    tamperedLayer.blobs.set(image.manifest.layers[0]?.digest as Digest, gzipSync(new TextEncoder().encode('evil')));
    // Without verifyLayers the layer is not read; with it the mismatch is caught.
    await expect(resolveImage(tamperedLayer, descriptor)).resolves.toBeDefined();
    const layerError = await rejection(resolveImage(tamperedLayer, descriptor, { verifyLayers: true }));
    expect(layerError.code).toBe('DIGEST_MISMATCH');
    expect(layerError.message).toContain('layer 0');

    const tamperedConfig = new MemorySource();
    for (const [digest, bytes] of source.blobs) tamperedConfig.blobs.set(digest, bytes);
    tamperedConfig.blobs.set(image.manifest.config.digest, new TextEncoder().encode('{}'));
    expect((await rejection(resolveImage(tamperedConfig, descriptor))).code).toBe('DIGEST_MISMATCH');

    expect((await rejection(resolveImage(source, { ...descriptor, digest: sha256Digest('other') }))).code).toBe('NOT_FOUND');
  });

  it('refuses documents that declare more than the size limits before reading them', async () => {
    const source = new MemorySource();
    const descriptor = storeImage(source, 'linux/amd64', 'x');
    const error = await rejection(resolveImage(source, { ...descriptor, size: 5 * 1024 * 1024 }));
    expect(error.code).toBe('LIMIT_EXCEEDED');
  });

  it('stops at deeply nested or cyclic indexes', async () => {
    const source = new MemorySource();
    let inner = storeImage(source, 'linux/amd64', 'deep');
    for (let depth = 0; depth < 6; depth++) {
      const index = serializeCanonical(createIndex([{ ...inner, platform: parsePlatform('linux/amd64') }]));
      source.put(index.bytes);
      inner = descriptorOf(index, MediaType.OciIndex);
    }
    const error = await rejection(resolveImage(source, inner, { platform: parsePlatform('linux/amd64') }));
    expect(error.code).toBe('LIMIT_EXCEEDED');
  });
});
