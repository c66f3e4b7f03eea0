/**
 * Parsing and validation of manifests and indexes fetched from registries or read from disk. The bytes are
 * untrusted: size-bounded, strictly typed, every descriptor checked, errors naming the JSON path.
 */
import { CError } from '@c/errors';
import { digestOf, parseDigest } from './digest';
import {
  type CheckContext,
  type JsonObject,
  expectArray,
  expectDigest,
  expectMediaType,
  expectNonEmptyString,
  expectNonNegativeInteger,
  expectObject,
  expectString,
  expectStringArray,
  expectStringMap,
  invalidAt,
  isObject,
  joinPath,
} from './json-check';
import { MediaType, baseMediaType, isIndexMediaType, isManifestMediaType, isSchema1MediaType } from './media-types';
import type { Descriptor, ImageIndex, ImageManifest, ParsedManifest, Platform } from './types';

/** The largest manifest or index c accepts (what distribution and containerd allow). */
export const MAX_MANIFEST_SIZE = 4 * 1024 * 1024;

const MANIFEST_CTX: CheckContext = { document: 'manifest' };

/** Content-Type values that say nothing about the document, so its own `mediaType` field decides. */
const GENERIC_CONTENT_TYPES = new Set(['', 'application/json', 'text/plain', 'application/octet-stream', 'binary/octet-stream']);

function schema1Error(where: string): CError {
  return new CError(
    'UNSUPPORTED',
    `${where} is a Docker image manifest schema 1: schema1 manifests are deprecated and not supported; re-push the image with a current client`,
    {
      hint: 'pull and push the image with a current docker (or `c`) client to convert it to schema 2 / OCI',
      details: { mediaType: MediaType.DockerSchema1Manifest },
    },
  );
}

/** Checks a platform object in a descriptor. */
export function checkPlatform(ctx: CheckContext, value: unknown, path: string): Platform {
  const obj = expectObject(ctx, value, path);
  expectNonEmptyString(ctx, obj['architecture'], joinPath(path, 'architecture'));
  expectNonEmptyString(ctx, obj['os'], joinPath(path, 'os'));
  if (obj['variant'] !== undefined) expectString(ctx, obj['variant'], joinPath(path, 'variant'));
  if (obj['os.version'] !== undefined) expectString(ctx, obj['os.version'], joinPath(path, 'os.version'));
  if (obj['os.features'] !== undefined) expectStringArray(ctx, obj['os.features'], joinPath(path, 'os.features'));
  if (obj['features'] !== undefined) expectStringArray(ctx, obj['features'], joinPath(path, 'features'));
  return obj as unknown as Platform;
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Checks a descriptor: media type, digest form (sha256/sha512), non-negative integer size, optional urls,
 * annotations, platform, artifactType, and inline `data` against its digest and size.
 */
export function checkDescriptor(ctx: CheckContext, value: unknown, path: string): Descriptor {
  const obj = expectObject(ctx, value, path);
  expectMediaType(ctx, obj['mediaType'], joinPath(path, 'mediaType'));
  const digest = expectDigest(ctx, obj['digest'], joinPath(path, 'digest'));
  const size = expectNonNegativeInteger(ctx, obj['size'], joinPath(path, 'size'));
  if (obj['urls'] !== undefined) {
    const urls = expectStringArray(ctx, obj['urls'], joinPath(path, 'urls'));
    urls.forEach((url, i) => {
      if (!/^https?:\/\//i.test(url)) throw invalidAt(ctx, joinPath(joinPath(path, 'urls'), i), `"${url}" is not an http(s) URL`);
    });
  }
  if (obj['annotations'] !== undefined) expectStringMap(ctx, obj['annotations'], joinPath(path, 'annotations'));
  if (obj['platform'] !== undefined) checkPlatform(ctx, obj['platform'], joinPath(path, 'platform'));
  if (obj['artifactType'] !== undefined) expectMediaType(ctx, obj['artifactType'], joinPath(path, 'artifactType'));
  if (obj['data'] !== undefined) {
    const dataPath = joinPath(path, 'data');
    const data = expectString(ctx, obj['data'], dataPath);
    if (!BASE64_RE.test(data)) throw invalidAt(ctx, dataPath, 'is not base64');
    const bytes = Buffer.from(data, 'base64');
    if (bytes.byteLength !== size) {
      throw invalidAt(ctx, dataPath, `holds ${bytes.byteLength} bytes but the descriptor's size is ${size}`);
    }
    const actual = digestOf(bytes, parseDigest(digest).algorithm);
    if (actual !== digest) {
      throw new CError('DIGEST_MISMATCH', `${ctx.document} ${dataPath}: inline data has digest ${actual}, expected ${digest}`, {
        hint: 'the document was altered; fetch it again',
        details: { document: ctx.document, path: dataPath, expected: digest, actual },
      });
    }
  }
  return obj as unknown as Descriptor;
}

function checkDescriptorList(ctx: CheckContext, value: unknown, path: string): Descriptor[] {
  return expectArray(ctx, value, path).map((item, i) => checkDescriptor(ctx, item, joinPath(path, i)));
}

function checkCommonFields(ctx: CheckContext, obj: JsonObject): void {
  if (obj['schemaVersion'] !== 2) {
    throw invalidAt(ctx, 'schemaVersion', `expected 2, found ${JSON.stringify(obj['schemaVersion']) ?? 'nothing'}`);
  }
  if (obj['artifactType'] !== undefined) expectMediaType(ctx, obj['artifactType'], 'artifactType');
  if (obj['subject'] !== undefined) checkDescriptor(ctx, obj['subject'], 'subject');
  if (obj['annotations'] !== undefined) expectStringMap(ctx, obj['annotations'], 'annotations');
}

/** Checks an already-decoded image manifest document (OCI or Docker v2 schema 2). */
export function checkManifest(value: unknown, ctx: CheckContext = MANIFEST_CTX): ImageManifest {
  const obj = expectObject(ctx, value, '');
  checkCommonFields(ctx, obj);
  if (obj['mediaType'] !== undefined) expectMediaType(ctx, obj['mediaType'], 'mediaType');
  checkDescriptor(ctx, obj['config'], 'config');
  checkDescriptorList(ctx, obj['layers'], 'layers');
  return obj as unknown as ImageManifest;
}

/** Checks an already-decoded image index document (OCI index or Docker manifest list). */
export function checkIndex(value: unknown, ctx: CheckContext = MANIFEST_CTX): ImageIndex {
  const obj = expectObject(ctx, value, '');
  checkCommonFields(ctx, obj);
  if (obj['mediaType'] !== undefined) expectMediaType(ctx, obj['mediaType'], 'mediaType');
  checkDescriptorList(ctx, obj['manifests'], 'manifests');
  return obj as unknown as ImageIndex;
}

/** Decodes UTF-8 JSON within a size bound; `what` names the document in errors. */
export function decodeJsonDocument(bytes: Uint8Array, maxSize: number, what: string): unknown {
  if (bytes.byteLength > maxSize) {
    throw new CError('LIMIT_EXCEEDED', `${what} is ${bytes.byteLength} bytes, more than the ${maxSize}-byte limit`, {
      hint: `this is not a valid ${what}, or an unusually large one; check the reference`,
      details: { size: bytes.byteLength, limit: maxSize },
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    throw new CError('INVALID_ARGUMENT', `${what} is not valid UTF-8`, {
      cause,
      hint: `the ${what} is corrupt; fetch it again or rebuild the image`,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new CError('INVALID_ARGUMENT', `${what} is not valid JSON: ${(cause as Error).message}`, {
      cause,
      hint: `the ${what} is corrupt; fetch it again or rebuild the image`,
    });
  }
}

/** Decides what a document is from the Content-Type header and its own fields. */
function detectMediaType(doc: JsonObject, header: string | undefined): string {
  const fromHeader = header === undefined ? '' : baseMediaType(header);
  const fromDocument = typeof doc['mediaType'] === 'string' ? baseMediaType(doc['mediaType']) : '';
  if (isSchema1MediaType(fromHeader) || isSchema1MediaType(fromDocument) || doc['schemaVersion'] === 1) {
    throw schema1Error('the manifest');
  }
  if (doc['mediaType'] !== undefined && typeof doc['mediaType'] !== 'string') {
    throw invalidAt(MANIFEST_CTX, 'mediaType', 'expected a string');
  }
  const headerIsSpecific = !GENERIC_CONTENT_TYPES.has(fromHeader);
  if (headerIsSpecific && fromDocument !== '' && fromDocument !== fromHeader) {
    // OCI requires the two to agree; a document served as something else is not to be trusted.
    throw invalidAt(
      MANIFEST_CTX,
      'mediaType',
      `"${fromDocument}" differs from the Content-Type "${fromHeader}" it was served with`,
      'the registry or the pushing client is misbehaving; re-push the image',
    );
  }
  if (headerIsSpecific) return fromHeader;
  if (fromDocument !== '') return fromDocument;
  // OCI documents may omit mediaType; tell them apart by their members.
  if (doc['manifests'] !== undefined && doc['config'] === undefined) return MediaType.OciIndex;
  if (doc['config'] !== undefined && doc['manifests'] === undefined) return MediaType.OciManifest;
  throw invalidAt(
    MANIFEST_CTX,
    '',
    'cannot tell whether it is a manifest or an index: it has no mediaType and neither only "config" nor only "manifests"',
  );
}

/**
 * Parses a manifest or index. The kind comes from `mediaTypeHeader` (the Content-Type it was served with)
 * unless that is generic, else from the document's `mediaType`, else from its members. Refuses schema1
 * (`UNSUPPORTED`), other media types (`UNSUPPORTED`), documents over 4 MiB (`LIMIT_EXCEEDED`) and malformed
 * documents (`INVALID_ARGUMENT` naming the JSON path, e.g. `layers[2].digest`).
 */
export function parseManifest(bytes: Uint8Array, mediaTypeHeader?: string): ParsedManifest {
  const decoded = decodeJsonDocument(bytes, MAX_MANIFEST_SIZE, 'manifest');
  if (!isObject(decoded)) throw invalidAt(MANIFEST_CTX, '', 'expected a JSON object');
  const mediaType = detectMediaType(decoded, mediaTypeHeader);
  if (isManifestMediaType(mediaType)) {
    return { kind: 'manifest', mediaType, manifest: checkManifest(decoded) };
  }
  if (isIndexMediaType(mediaType)) {
    return { kind: 'index', mediaType, index: checkIndex(decoded) };
  }
  throw new CError('UNSUPPORTED', `manifest media type "${mediaType}" is not supported`, {
    hint: 'c runs OCI and Docker v2 schema 2 images; this reference may point at an artifact, not an image',
    details: { mediaType },
  });
}

/** Checks an untrusted descriptor on its own (e.g. from an API call or an OCI layout's index.json). */
export function validateDescriptor(value: unknown, path = 'descriptor'): Descriptor {
  return checkDescriptor({ document: 'descriptor' }, value, path);
}

/** Checks an untrusted platform object on its own. */
export function validatePlatform(value: unknown, path = 'platform'): Platform {
  return checkPlatform({ document: 'platform' }, value, path);
}
