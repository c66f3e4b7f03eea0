/**
 * Reading and writing the JSON documents of an image (manifest, index, config) in the content store. The store
 * verified every blob's digest when it was written, so reading only checks the shape the engine relies on.
 */
import { createHash } from 'node:crypto';
import { CError } from '@c/errors';
import type { BlobStore, Descriptor, ImageConfig } from '@c/image';

export interface ManifestDocument {
  schemaVersion?: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface IndexDocument {
  schemaVersion?: number;
  mediaType?: string;
  manifests: Descriptor[];
}

/** Manifests and configs are small; anything bigger than this in the store is not one. */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

async function readJson(store: BlobStore, digest: string, what: string): Promise<Record<string, unknown>> {
  const size = await store.size(digest);
  if (size > MAX_DOCUMENT_BYTES) {
    throw new CError('LIMIT_EXCEEDED', `${what} ${digest} is ${size} bytes, more than ${MAX_DOCUMENT_BYTES}`, {
      hint: 'the local store holds something that is not an image document; remove the image and pull it again',
    });
  }
  const bytes = await store.read(digest);
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new CError('INTERNAL', `${what} ${digest} in the local store is not valid JSON`, {
      cause: error,
      hint: 'remove the image and pull it again',
    });
  }
}

export async function readManifest(store: BlobStore, digest: string): Promise<ManifestDocument> {
  const value = await readJson(store, digest, 'manifest');
  if (!Array.isArray(value.layers) || typeof value.config !== 'object' || value.config === null) {
    throw new CError('UNSUPPORTED', `manifest ${digest} has no config or layers`, {
      hint: 'only image manifests (OCI or Docker v2) can be used as images',
    });
  }
  return value as unknown as ManifestDocument;
}

export async function readIndex(store: BlobStore, digest: string): Promise<IndexDocument> {
  const value = await readJson(store, digest, 'index');
  if (!Array.isArray(value.manifests)) {
    throw new CError('UNSUPPORTED', `index ${digest} has no manifests list`, { hint: 'pull the image again' });
  }
  return value as unknown as IndexDocument;
}

export async function readConfig(store: BlobStore, digest: string): Promise<ImageConfig> {
  return (await readJson(store, digest, 'image config')) as unknown as ImageConfig;
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Stores `bytes` under `digest` (the caller's sha256 of them) unless the store has it already. */
export async function storeBytes(store: BlobStore, digest: string, bytes: Uint8Array): Promise<void> {
  if (await store.has(digest)) return;
  const ingest = await store.ingest(digest, bytes.length);
  try {
    // A resumed ingest already holds a prefix of these exact bytes.
    await ingest.write(bytes.subarray(ingest.offset));
    await ingest.commit();
  } catch (error) {
    await ingest.abort().catch(() => undefined);
    throw error;
  }
}

/** Stores a JSON document byte-exactly as serialized and returns its descriptor. */
export async function writeDocument(store: BlobStore, mediaType: string, value: unknown): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(value));
  const digest = sha256(bytes);
  await storeBytes(store, digest, bytes);
  return { mediaType, digest, size: bytes.length };
}
