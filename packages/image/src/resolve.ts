/**
 * Walking an image through a `BlobSource` (a content store, an OCI layout): index → platform manifest →
 * config, verifying every document against the digest it was reached by. Used to run, save or push an image
 * that is already local, and as a conformance check (`verifyLayers`) for any store implementation.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CError } from '@c/errors';
import { chainIds } from './chain-id';
import { MAX_CONFIG_SIZE, checkConfigMatchesManifest, parseImageConfig } from './config';
import type { BlobSource, Digest } from './content';
import { verifyDigest } from './digest';
import { MAX_MANIFEST_SIZE, parseManifest } from './manifest';
import { hostPlatform, selectManifest } from './platform';
import type { Descriptor, ImageConfig, ImageManifest, Platform } from './types';
import { DigestingTransform } from './verify-stream';

/** Indexes may nest (an index of indexes); a bound keeps a malicious cycle from looping forever. */
const MAX_INDEX_DEPTH = 4;

export interface ResolveOptions {
  /** Which manifest to take from an index; default: the host platform. */
  platform?: Platform;
  /** Also stream every layer and check its size and digest (slow for big images). */
  verifyLayers?: boolean;
}

export interface ResolvedImage {
  /** The single-platform manifest's descriptor (from the index when there was one). */
  manifestDescriptor: Descriptor;
  manifest: ImageManifest;
  config: ImageConfig;
  /** The index descriptors walked through on the way, outermost first. */
  indexes: Descriptor[];
  /** One ChainID per layer, bottom first: the snapshot keys. */
  chainIds: Digest[];
}

async function readDocument(source: BlobSource, descriptor: Descriptor, limit: number, what: string): Promise<Uint8Array> {
  if (descriptor.size > limit) {
    throw new CError('LIMIT_EXCEEDED', `${what} ${descriptor.digest} declares ${descriptor.size} bytes, more than the ${limit}-byte limit`, {
      hint: 'the image is malformed or hostile; check its source',
      details: { digest: descriptor.digest, size: descriptor.size, limit },
    });
  }
  const bytes = await source.read(descriptor.digest);
  verifyDigest(bytes, descriptor.digest, descriptor.size);
  return bytes;
}

async function verifyLayer(source: BlobSource, layer: Descriptor, index: number): Promise<void> {
  const stream = await source.open(layer.digest);
  const discard = new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
  await pipeline(stream, new DigestingTransform(layer, { where: `layer ${index}` }), discard);
}

/**
 * Resolves `descriptor` (a manifest or an index) to a verified manifest and config. Throws `NOT_FOUND`
 * from the source for a missing blob or from `selectManifest` for a missing platform, `DIGEST_MISMATCH`
 * for altered content, `INVALID_ARGUMENT` for malformed or inconsistent documents.
 */
export async function resolveImage(
  source: BlobSource,
  descriptor: Descriptor,
  options: ResolveOptions = {},
): Promise<ResolvedImage> {
  const wanted = options.platform ?? hostPlatform();
  const indexes: Descriptor[] = [];
  let current = descriptor;
  for (;;) {
    const bytes = await readDocument(source, current, MAX_MANIFEST_SIZE, 'manifest');
    const parsed = parseManifest(bytes, current.mediaType);
    if (parsed.kind === 'manifest') {
      const config = parseImageConfig(await readDocument(source, parsed.manifest.config, MAX_CONFIG_SIZE, 'image config'));
      checkConfigMatchesManifest(parsed.manifest, config);
      if (options.verifyLayers === true) {
        for (const [i, layer] of parsed.manifest.layers.entries()) await verifyLayer(source, layer, i);
      }
      return {
        manifestDescriptor: current,
        manifest: parsed.manifest,
        config,
        indexes,
        chainIds: chainIds(config.rootfs.diff_ids),
      };
    }
    indexes.push(current);
    if (indexes.length > MAX_INDEX_DEPTH) {
      throw new CError('LIMIT_EXCEEDED', `image indexes nest more than ${MAX_INDEX_DEPTH} deep below ${descriptor.digest}`, {
        hint: 'the image is malformed or hostile; check its source',
        details: { digest: descriptor.digest },
      });
    }
    current = selectManifest(parsed.index, wanted);
  }
}
