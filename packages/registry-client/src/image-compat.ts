/**
 * The parts of the image model this client needs. @c/image is being written alongside this package; until
 * it exports these, this module holds small local versions with the same names and shapes. Switch the imports
 * here (and only here) to @c/image once it has them.
 */
import { createHash } from 'node:crypto';
import { CError } from '@c/errors';
import type { Readable } from 'node:stream';

/** `sha256:<64 hex>` or `sha512:<128 hex>`. */
export type Digest = string;

/** Same shapes as packages/image/src/content.ts (not yet re-exported by @c/image's index). */
export interface BlobIngest {
  readonly offset: number;
  write(chunk: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}
export interface BlobSink {
  has(digest: Digest): Promise<boolean>;
  ingest(digest: Digest, expectedSize: number): Promise<BlobIngest>;
}
export interface BlobSource {
  size(digest: Digest): Promise<number>;
  open(digest: Digest): Promise<Readable>;
  read(digest: Digest): Promise<Uint8Array>;
}
export interface BlobStore extends BlobSink, BlobSource {}

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/** Every manifest type c understands, most specific first (sent as the Accept header). */
export const MANIFEST_ACCEPT: readonly string[] = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
];

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** A normalized image reference: `docker.io/library/busybox:latest`. */
export interface Reference {
  /** Registry name as the user sees it (`docker.io`, `localhost:5000`). */
  registry: string;
  /** Repository path (`library/busybox`). */
  repository: string;
  tag?: string;
  digest?: Digest;
}

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerManifestList;
}

export function isManifestMediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPES.ociManifest || mediaType === MEDIA_TYPES.dockerManifest;
}

export function isSchema1MediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPES.dockerSchema1 || mediaType === MEDIA_TYPES.dockerSchema1Signed;
}

/** `docker.io/library/busybox:latest`, or with `@sha256:…`. Docker Hub's library prefix is kept. */
export function formatReference(ref: Reference): string {
  let out = `${ref.registry}/${ref.repository}`;
  if (ref.tag) out += `:${ref.tag}`;
  if (ref.digest) out += `@${ref.digest}`;
  return out;
}

/** The host that serves the distribution API for a registry name (Docker Hub's differs from its name). */
export function registryApiHost(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry;
}

const DIGEST_PATTERN = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function assertDigest(digest: string, where: string): Digest {
  if (!DIGEST_PATTERN.test(digest)) {
    throw new CError('INVALID_ARGUMENT', `invalid digest ${JSON.stringify(digest)} in ${where}`, {
      hint: 'digests look like sha256:<64 lowercase hex>',
    });
  }
  return digest;
}

/** The digest of some bytes, with the algorithm of `like` (sha256 by default). */
export function digestOf(bytes: Uint8Array, like: Digest = 'sha256:'): Digest {
  const algorithm = like.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** The platform of this machine in OCI terms. */
export function hostPlatform(): Platform {
  const arches: Record<string, Platform> = {
    x64: { os: 'linux', architecture: 'amd64' },
    arm64: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    arm: { os: 'linux', architecture: 'arm', variant: 'v7' },
    ia32: { os: 'linux', architecture: '386' },
    ppc64: { os: 'linux', architecture: 'ppc64le' },
    s390x: { os: 'linux', architecture: 's390x' },
    riscv64: { os: 'linux', architecture: 'riscv64' },
  };
  return arches[process.arch] ?? { os: 'linux', architecture: process.arch };
}
