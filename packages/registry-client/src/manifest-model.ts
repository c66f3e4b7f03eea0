/**
 * Just enough manifest parsing for pull and push: tell an index from an image manifest, check the
 * descriptors we are about to follow, reject schema 1, and pick a platform from an index.
 */
import { CError } from '@c/errors';
import {
  assertDigest,
  isIndexMediaType,
  isManifestMediaType,
  isSchema1MediaType,
  MEDIA_TYPES,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from './image-compat';

export type ParsedManifest = { kind: 'index'; index: ImageIndex } | { kind: 'manifest'; manifest: ImageManifest };

function schema1Error(where: string): CError {
  return new CError('UNSUPPORTED', `${where} is a Docker schema 1 manifest, which c does not support`, {
    hint: 'schema 1 was retired in 2019; ask the publisher to re-push the image with a current client',
  });
}

function checkDescriptor(value: unknown, where: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (typeof d !== 'object' || d === null || typeof d.mediaType !== 'string' || typeof d.digest !== 'string' ||
      typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new CError('INVALID_ARGUMENT', `malformed descriptor in ${where}`, { details: { descriptor: value } });
  }
  assertDigest(d.digest, where);
  return d as Descriptor;
}

/** The media type of a manifest, from the response header or (when absent or generic) its own fields. */
export function manifestMediaType(bytes: Uint8Array, contentType: string | undefined, where: string): string {
  const headerType = contentType?.split(';')[0]?.trim();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new CError('INVALID_ARGUMENT', `${where} is not valid JSON`, { cause: error });
  }
  if (typeof json !== 'object' || json === null) throw new CError('INVALID_ARGUMENT', `${where} is not a JSON object`);
  if (json.schemaVersion === 1 || (headerType && isSchema1MediaType(headerType))) throw schema1Error(where);
  if (headerType && (isIndexMediaType(headerType) || isManifestMediaType(headerType))) return headerType;
  if (typeof json.mediaType === 'string') return json.mediaType;
  if (Array.isArray(json.manifests)) return MEDIA_TYPES.ociIndex;
  if (typeof json.config === 'object') return MEDIA_TYPES.ociManifest;
  throw new CError('UNSUPPORTED', `${where} has unknown media type ${headerType ?? '(none)'}`, {
    hint: 'c understands OCI and Docker v2 manifests and indexes',
  });
}

export function parseManifestBytes(bytes: Uint8Array, mediaType: string, where: string): ParsedManifest {
  if (isSchema1MediaType(mediaType)) throw schema1Error(where);
  const json = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  if (json.schemaVersion === 1) throw schema1Error(where);
  if (json.schemaVersion !== 2) throw new CError('INVALID_ARGUMENT', `${where} has schemaVersion ${String(json.schemaVersion)}, expected 2`);
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(json.manifests)) throw new CError('INVALID_ARGUMENT', `${where} is an index without "manifests"`);
    const manifests = json.manifests.map((m, i) => checkDescriptor(m, `${where} manifests[${i}]`));
    return { kind: 'index', index: { ...(json as object), schemaVersion: 2, manifests } as ImageIndex };
  }
  if (isManifestMediaType(mediaType)) {
    if (!Array.isArray(json.layers)) throw new CError('INVALID_ARGUMENT', `${where} is a manifest without "layers"`);
    const config = checkDescriptor(json.config, `${where} config`);
    const layers = json.layers.map((l, i) => checkDescriptor(l, `${where} layers[${i}]`));
    return { kind: 'manifest', manifest: { ...(json as object), schemaVersion: 2, config, layers } as ImageManifest };
  }
  throw new CError('UNSUPPORTED', `${where} has unsupported media type ${mediaType}`, {
    hint: 'c understands OCI and Docker v2 manifests and indexes',
  });
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Variants assumed when a descriptor names none (as containerd's platform matcher does). */
const DEFAULT_VARIANT: Record<string, string> = { arm64: 'v8', arm: 'v7' };

function platformMatches(candidate: Platform, wanted: Platform): boolean {
  if (candidate.os !== wanted.os || candidate.architecture !== wanted.architecture) return false;
  if (!wanted.variant) return true;
  const have = candidate.variant ?? DEFAULT_VARIANT[candidate.architecture];
  return have === wanted.variant;
}

/** The image manifest of an index for a platform (exact variant first, then any variant). */
export function selectPlatformManifest(index: ImageIndex, platform: Platform, where: string): Descriptor {
  const images = index.manifests.filter((m) => isManifestMediaType(m.mediaType) && m.platform);
  const exact = images.find((m) => platformMatches(m.platform as Platform, platform));
  if (exact) return exact;
  const available = images
    .map((m) => formatPlatform(m.platform as Platform))
    .filter((p) => p !== 'unknown/unknown')
    .join(', ');
  throw new CError('NOT_FOUND', `no manifest for platform ${formatPlatform(platform)} in ${where}`, {
    hint: available ? `the image is available for: ${available}` : 'the index names no platforms',
    details: { platform },
  });
}
