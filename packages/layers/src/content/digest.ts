/**
 * The digest rules the store relies on. A digest names a file on disk, so it is validated strictly before
 * any path is built from it: `sha256:<64 lowercase hex>` or `sha512:<128 lowercase hex>`, nothing else.
 * (A local adapter so the store does not wait on @c/image; same grammar as its parseDigest.)
 */
import { createHash, type Hash } from 'node:crypto';
import { CError } from '@c/errors';

export type BlobDigestAlgorithm = 'sha256' | 'sha512';

export interface BlobDigestParts {
  algorithm: BlobDigestAlgorithm;
  hex: string;
}

const DIGEST_RE = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** True for a digest the store accepts. */
export function isBlobDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST_RE.test(value);
}

/** Splits a digest, throwing INVALID_ARGUMENT for anything that is not one (no path tricks get through). */
export function parseBlobDigest(value: string): BlobDigestParts {
  if (!isBlobDigest(value)) {
    const shown = JSON.stringify(String(value).slice(0, 140));
    throw new CError('INVALID_ARGUMENT', `invalid blob digest ${shown}`, {
      hint: 'a digest looks like sha256:<64 lowercase hex digits> (or sha512:<128>)',
      details: { digest: value },
    });
  }
  const colon = value.indexOf(':');
  return { algorithm: value.slice(0, colon) as BlobDigestAlgorithm, hex: value.slice(colon + 1) };
}

/** A running hash that knows its algorithm and how many bytes it has seen. */
export class RunningDigest {
  readonly algorithm: BlobDigestAlgorithm;
  #hash: Hash;
  #bytes = 0;

  constructor(algorithm: BlobDigestAlgorithm) {
    this.algorithm = algorithm;
    this.#hash = createHash(algorithm);
  }

  get bytes(): number {
    return this.#bytes;
  }

  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.byteLength;
  }

  /** The final digest; the object must not be updated afterwards. */
  digest(): string {
    return `${this.algorithm}:${this.#hash.digest('hex')}`;
  }
}

/** The digest of a whole buffer. */
export function digestBytes(bytes: Uint8Array, algorithm: BlobDigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

export function digestMismatchError(expected: string, actual: string, where: string): CError {
  return new CError('DIGEST_MISMATCH', `${where}: content has digest ${actual}, expected ${expected}`, {
    hint: 'the content was corrupted or tampered with; fetch it again',
    details: { expected, actual },
  });
}

export function sizeMismatchError(digest: string, expectedSize: number, actualSize: number, where: string): CError {
  return new CError('DIGEST_MISMATCH', `${where}: ${digest} is ${actualSize} bytes, expected ${expectedSize}`, {
    hint: 'the content was truncated or altered; fetch it again',
    details: { digest, expectedSize, actualSize },
  });
}
