/**
 * Pull: resolve → (index → platform) → manifest → config → layers, everything stored in the sink, layers
 * several at a time, blobs the sink already holds skipped.
 */
import { CError, isCError } from '@c/errors';
import type { BlobFetcher } from './blobs';
import {
  familiarName,
  hostPlatform,
  parseImageConfig,
  selectManifest,
  type BlobSink,
  type Descriptor,
  type Digest,
  type ImageIndex,
  type ImageManifest,
  type Platform,
  type Reference,
} from '@c/image';
import { mapLimit } from './limit';
import type { FetchedManifest, ManifestFetcher } from './manifests';
import { shortDigest } from './names';

export type PullStatus = 'waiting' | 'downloading' | 'verifying' | 'done' | 'exists';

export interface PullProgress {
  /** Short digest (12 hex digits), the id docker shows. */
  id: string;
  digest: Digest;
  /** What the blob is. */
  kind: 'index' | 'manifest' | 'config' | 'layer';
  status: PullStatus;
  current: number;
  total: number;
}

export interface PullOptions {
  /** Defaults to the host's platform. */
  platform?: Platform;
  onProgress?: (event: PullProgress) => void;
  signal?: AbortSignal;
}

export interface PulledImage {
  reference: Reference;
  /** Digest of the index the reference pointed at, when it was one. */
  indexDigest?: Digest;
  index?: ImageIndex;
  manifestDigest: Digest;
  manifestMediaType: string;
  manifest: ImageManifest;
  manifestBytes: Uint8Array;
  configDigest: Digest;
  config: Uint8Array;
  layers: Descriptor[];
}

const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/** Writes bytes we already hold and have verified into the sink (unless present). */
export async function storeBytes(sink: BlobSink, digest: Digest, bytes: Uint8Array): Promise<'stored' | 'exists'> {
  if (await sink.has(digest)) return 'exists';
  const ingest = await sink.ingest(digest, bytes.length);
  try {
    if (ingest.offset > 0 && ingest.offset <= bytes.length) await ingest.write(bytes.subarray(ingest.offset));
    else if (ingest.offset === 0) await ingest.write(bytes);
    else {
      await ingest.abort();
      return storeBytes(sink, digest, bytes);
    }
    await ingest.commit();
    return 'stored';
  } catch (error) {
    await ingest.close().catch(() => {});
    throw error;
  }
}

/** Runs `fn`, prefixing the message of a CError it throws with `what` (the reference being pulled). */
function withContext<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof CError) throw new CError(error.code, `${what}: ${error.message}`, { cause: error, hint: error.hint, details: error.details });
    throw error;
  }
}

export async function pullImage(
  manifests: ManifestFetcher,
  blobs: BlobFetcher,
  concurrency: number,
  ref: Reference,
  sink: BlobSink,
  options: PullOptions = {},
): Promise<PulledImage> {
  const { signal } = options;
  const emit = (kind: PullProgress['kind'], digest: Digest, status: PullStatus, current: number, total: number) =>
    options.onProgress?.({ id: shortDigest(digest), digest, kind, status, current, total });
  const location = { registry: ref.registry, repository: ref.repository };

  const resolved = await manifests.resolve(ref, signal);
  let top: FetchedManifest;
  try {
    top = await manifests.fetchManifest({ ...location, digest: resolved.descriptor.digest }, signal);
  } catch (error) {
    // For a tag, the digest came from the HEAD's Docker-Content-Digest, which some registries get wrong:
    // fetch by tag instead and take the digest of the bytes.
    if (ref.digest || !(isCError(error, 'NOT_FOUND') || isCError(error, 'DIGEST_MISMATCH'))) throw error;
    top = await manifests.fetchManifest(ref, signal);
  }
  let indexDigest: Digest | undefined;
  let index: ImageIndex | undefined;
  let indexBytes: Uint8Array | undefined;
  if (top.parsed.kind === 'index') {
    index = top.parsed.index;
    indexDigest = top.digest;
    indexBytes = top.bytes;
    const chosen = withContext(familiarName(ref), () => selectManifest(index as ImageIndex, options.platform ?? hostPlatform()));
    top = await manifests.fetchManifest({ ...location, digest: chosen.digest }, signal);
  }
  if (top.parsed.kind !== 'manifest') {
    throw new CError('UNSUPPORTED', `${top.digest} in ${ref.registry}/${ref.repository} is an index inside an index, which c does not follow`);
  }
  const { manifest } = top.parsed;
  const configDescriptor = manifest.config;
  // A layer may be listed twice (empty layers): download each digest once.
  const unique = [...new Map(manifest.layers.map((l) => [l.digest, l])).values()];

  // Ask the sink about every blob of the image at once, before storing any: a sink that takes a lease on each
  // blob it is first asked about (the engine's, for GC) then takes one lease for the whole image.
  const everything = [...(indexDigest ? [indexDigest] : []), top.digest, configDescriptor.digest, ...unique.map((l) => l.digest)];
  await Promise.all(everything.map((digest) => sink.has(digest)));

  if (indexDigest && indexBytes) {
    await storeBytes(sink, indexDigest, indexBytes);
    emit('index', indexDigest, 'done', indexBytes.length, indexBytes.length);
  }
  // The manifest is stored while the config and the layers download: the first layer byte waits for nothing but
  // the answers above (two fsyncs each for manifest and config used to come first).
  const manifestStored = storeBytes(sink, top.digest, top.bytes).then(() => emit('manifest', top.digest, 'done', top.bytes.length, top.bytes.length));
  manifestStored.catch(() => undefined); // awaited below; until then a failure must not count as unhandled

  // Announce every layer first, so a progress display can lay out its lines.
  for (const layer of manifest.layers) emit('layer', layer.digest, 'waiting', 0, layer.size);

  // The config takes the first download slot, and gives it back as soon as its bytes are in: storing it waits for
  // the manifest's store (its 'done' follows the manifest's, so whoever follows the events — the engine's pipelined
  // unpack — may read both once it is announced), and a layer download must not wait for those writes.
  let config: Uint8Array | undefined;
  let configStored: Promise<void> = Promise.resolve();
  const fetchConfig = async () => {
    const bytes = await blobs.fetchBlobBytes(ref.registry, ref.repository, configDescriptor, MAX_CONFIG_BYTES, downloads.signal);
    // Checked before it is stored: its maps' keys (labels, ports, volumes) reach the CLI, which keeps V8's snapshot
    // hash seed, so they must be bounded where they enter c (decision 0017).
    withContext(familiarName(ref), () => parseImageConfig(bytes));
    configStored = (async () => {
      await manifestStored;
      const stored = await storeBytes(sink, configDescriptor.digest, bytes);
      emit('config', configDescriptor.digest, stored === 'exists' ? 'exists' : 'done', bytes.length, bytes.length);
      config = bytes;
    })();
    // A failed store cancels the downloads; the error itself is thrown where configStored is awaited.
    configStored.catch(() => downloads.abort());
  };
  const fetchLayer = async (layer: Descriptor) => {
    const result = await blobs.fetchBlob(ref.registry, ref.repository, layer, sink, {
      signal: downloads.signal,
      onProgress: (p) => emit('layer', layer.digest, p.phase, p.current, p.total),
    });
    emit('layer', layer.digest, result === 'exists' ? 'exists' : 'done', layer.size, layer.size);
  };

  // One failed download cancels the others (partial layers stay for a resume).
  const downloads = new AbortController();
  const forwardAbort = () => downloads.abort();
  signal?.addEventListener('abort', forwardAbort, { once: true });
  try {
    await mapLimit([undefined, ...unique], concurrency, (layer) => (layer ? fetchLayer(layer) : fetchConfig()), () => downloads.abort());
    await manifestStored;
    await configStored;
  } finally {
    signal?.removeEventListener('abort', forwardAbort);
  }
  if (!config) throw new CError('INTERNAL', `the config of ${familiarName(ref)} was not fetched`, { hint: 'this is a bug in c: report it' });

  return {
    reference: ref,
    indexDigest,
    index,
    manifestDigest: top.digest,
    manifestMediaType: top.mediaType,
    manifest,
    manifestBytes: top.bytes,
    configDigest: configDescriptor.digest,
    config,
    layers: manifest.layers,
  };
}
