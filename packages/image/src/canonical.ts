/**
 * Deterministic JSON for documents c writes (configs, manifests, indexes): the same object always gives the
 * same bytes and therefore the same digest. Object keys are sorted (by UTF-16 code units), no whitespace.
 */
import { CError } from '@c/errors';
import type { Digest } from './content';
import { sha256Digest } from './digest';
import type { Descriptor } from './types';

export interface SerializedDocument {
  bytes: Uint8Array;
  digest: Digest;
  size: number;
}

function canonicalValue(value: unknown, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new CError('INVALID_ARGUMENT', `cannot serialize ${String(value)} at ${path || 'the top level'}`, {
        hint: 'JSON has no NaN or Infinity; fix the value before serializing',
        details: { path },
      });
    }
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((item, i) => (item === undefined ? null : canonicalValue(item, `${path}[${i}]`)));
  }
  if (typeof value === 'object') {
    // A null prototype, so a "__proto__" member from untrusted JSON stays a member instead of vanishing.
    const out = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) out[key] = canonicalValue(item, path ? `${path}.${key}` : key);
    }
    return out;
  }
  throw new CError('INVALID_ARGUMENT', `cannot serialize a ${typeof value} at ${path || 'the top level'}`, {
    hint: 'documents may hold only JSON values',
    details: { path },
  });
}

/** The canonical JSON text of `value` (sorted keys, no whitespace, `undefined` members dropped). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalValue(value, ''));
}

/** Canonical JSON bytes of `value`, with their sha256 digest and size. */
export function serializeCanonical(value: unknown): SerializedDocument {
  const bytes = new TextEncoder().encode(canonicalJson(value));
  return { bytes, digest: sha256Digest(bytes), size: bytes.byteLength };
}

/** A descriptor for serialized content. */
export function descriptorOf(
  document: Pick<SerializedDocument, 'digest' | 'size'>,
  mediaType: string,
  extra: Omit<Descriptor, 'mediaType' | 'digest' | 'size'> = {},
): Descriptor {
  return { mediaType, digest: document.digest, size: document.size, ...extra };
}
