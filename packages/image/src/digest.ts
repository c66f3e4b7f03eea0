/**
 * Content digests (`<algorithm>:<hex>`), as defined by the OCI image spec's descriptor section and
 * opencontainers/go-digest. c computes sha256 and sha512; every other algorithm is refused.
 */
import type { Hash } from 'node:crypto';
import { createRequire } from 'node:module';
import { CError } from '@c/errors';
import type { Digest } from './content';

export type DigestAlgorithm = 'sha256' | 'sha512';

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  /** Lowercase hex of the hash. */
  hex: string;
}

/** Hex length of each supported algorithm's output. */
export const DIGEST_HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha512: 128 };

// The OCI grammar: algorithm-component (separator algorithm-component)* ":" encoded.
// node:crypto is loaded on first hash: the CLI's run path bundles this module for reference parsing only (~2 ms).
let crypto: typeof import('node:crypto') | undefined;
const nodeCrypto = () => (crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto'));

const ALGORITHM_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*$/;
const ENCODED_RE = /^[a-zA-Z0-9=_-]+$/;
const LOWER_HEX_RE = /^[a-f0-9]+$/;

/** Why a string is not a usable digest; `undefined` when it is one. */
export type DigestProblem = 'invalid-format' | 'unsupported-algorithm' | 'invalid-length';

/** Classifies a digest string the way go-digest's Validate does, without throwing. */
export function digestProblem(value: string): DigestProblem | undefined {
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1) return 'invalid-format';
  const algorithm = value.slice(0, colon);
  const encoded = value.slice(colon + 1);
  if (!isSupportedAlgorithm(algorithm)) {
    // A well-formed digest of an algorithm c does not compute is "unsupported", anything else is malformed.
    return ALGORITHM_RE.test(algorithm) && ENCODED_RE.test(encoded) ? 'unsupported-algorithm' : 'invalid-format';
  }
  if (encoded.length !== DIGEST_HEX_LENGTH[algorithm]) return 'invalid-length';
  if (!LOWER_HEX_RE.test(encoded)) return 'invalid-format';
  return undefined;
}

function isSupportedAlgorithm(algorithm: string): algorithm is DigestAlgorithm {
  return algorithm === 'sha256' || algorithm === 'sha512';
}

const PROBLEM_TEXT: Record<DigestProblem, string> = {
  'invalid-format': 'is not of the form <algorithm>:<lowercase hex>',
  'unsupported-algorithm': 'uses an algorithm c does not support (only sha256 and sha512)',
  'invalid-length': 'has a hash of the wrong length for its algorithm (sha256: 64 hex digits, sha512: 128)',
};

/** Describes a digest problem in words, for error messages built elsewhere (references, manifests). */
export function describeDigestProblem(problem: DigestProblem): string {
  return PROBLEM_TEXT[problem];
}

/**
 * Splits and validates a digest. Throws `UNSUPPORTED` for a well-formed digest of another algorithm
 * (sha384, blake3...) and `INVALID_ARGUMENT` for anything malformed.
 */
export function parseDigest(value: string): ParsedDigest {
  const problem = digestProblem(value);
  if (problem !== undefined) {
    throw new CError(
      problem === 'unsupported-algorithm' ? 'UNSUPPORTED' : 'INVALID_ARGUMENT',
      `invalid digest "${truncate(value)}": it ${PROBLEM_TEXT[problem]}`,
      {
        hint: 'a digest looks like sha256:<64 lowercase hex digits>',
        details: { digest: value, reason: problem },
      },
    );
  }
  const colon = value.indexOf(':');
  return { algorithm: value.slice(0, colon) as DigestAlgorithm, hex: value.slice(colon + 1) };
}

/** True for a valid sha256 or sha512 digest. */
export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && digestProblem(value) === undefined;
}

/** A streaming hasher that also counts the bytes it has seen. */
export interface Digester {
  readonly algorithm: DigestAlgorithm;
  /** Bytes hashed so far. */
  readonly bytes: number;
  update(chunk: Uint8Array | string): this;
  /** The digest of everything hashed; the digester cannot be updated afterwards. */
  digest(): Digest;
}

class NodeDigester implements Digester {
  readonly algorithm: DigestAlgorithm;
  #hash: Hash;
  #bytes = 0;
  #result: Digest | undefined;

  constructor(algorithm: DigestAlgorithm) {
    this.algorithm = algorithm;
    this.#hash = nodeCrypto().createHash(algorithm);
  }

  get bytes(): number {
    return this.#bytes;
  }

  update(chunk: Uint8Array | string): this {
    if (this.#result !== undefined) {
      throw new CError('INTERNAL', `${this.algorithm} digester updated after digest() was taken`, {
        hint: 'create a new digester for each blob',
      });
    }
    const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.#hash.update(data);
    this.#bytes += data.byteLength;
    return this;
  }

  digest(): Digest {
    this.#result ??= `${this.algorithm}:${this.#hash.digest('hex')}`;
    return this.#result;
  }
}

/** Creates a streaming hasher (`update(chunk)` repeatedly, then `digest()`). */
export function createDigester(algorithm: DigestAlgorithm = 'sha256'): Digester {
  if (!isSupportedAlgorithm(algorithm)) {
    throw new CError('UNSUPPORTED', `digest algorithm "${String(algorithm)}" is not supported`, {
      hint: 'use sha256 or sha512',
      details: { algorithm },
    });
  }
  return new NodeDigester(algorithm);
}

/** The digest of `bytes` (strings are hashed as UTF-8). */
export function digestOf(bytes: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return createDigester(algorithm).update(bytes).digest();
}

/** `sha256:<hex>` of `bytes` (strings are hashed as UTF-8). */
export function sha256Digest(bytes: Uint8Array | string): Digest {
  return digestOf(bytes, 'sha256');
}

/**
 * Checks `bytes` against `expected` (and `expectedSize` when given). Throws `DIGEST_MISMATCH` naming both
 * digests; throws like `parseDigest` when `expected` itself is not a valid digest.
 */
export function verifyDigest(bytes: Uint8Array, expected: Digest, expectedSize?: number): void {
  const { algorithm } = parseDigest(expected);
  if (expectedSize !== undefined && bytes.byteLength !== expectedSize) {
    throw sizeMismatch(expected, expectedSize, bytes.byteLength);
  }
  const actual = digestOf(bytes, algorithm);
  if (actual !== expected) throw digestMismatch(expected, actual);
}

/** The `DIGEST_MISMATCH` error for content whose hash differs from the one it was fetched by. */
export function digestMismatch(expected: Digest, actual: Digest, where?: string): CError {
  return new CError(
    'DIGEST_MISMATCH',
    `content${where ? ` of ${where}` : ''} has digest ${actual}, expected ${expected}`,
    {
      hint: 'the content was corrupted or tampered with in transit or storage; fetch it again',
      details: { expected, actual },
    },
  );
}

/** The `DIGEST_MISMATCH` error for content of another length than its descriptor says. */
export function sizeMismatch(expected: Digest, expectedSize: number, actualSize: number, where?: string): CError {
  return new CError(
    'DIGEST_MISMATCH',
    `content${where ? ` of ${where}` : ''} for ${expected} is ${actualSize} bytes, expected ${expectedSize}`,
    {
      hint: 'the content was truncated or altered; fetch it again',
      details: { digest: expected, expectedSize, actualSize },
    },
  );
}

function truncate(value: string, max = 100): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
