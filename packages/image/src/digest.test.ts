import { CError } from '@c/errors';
import { describe, expect, it } from 'vitest';
import {
  createDigester,
  digestOf,
  digestProblem,
  isDigest,
  parseDigest,
  sha256Digest,
  verifyDigest,
} from './digest';

// Reference values computed with coreutils (printf … | sha256sum / sha512sum).
const EMPTY_SHA256 = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const A_SHA256 = 'sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb';
const HELLO_SHA512 =
  'sha512:9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043';

function thrown(fn: () => unknown): CError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CError);
    return error as CError;
  }
  throw new Error('expected a throw');
}

describe('parseDigest / isDigest / digestProblem', () => {
  it.each([
    [EMPTY_SHA256, 'sha256'],
    [HELLO_SHA512, 'sha512'],
  ])('parses %s', (digest, algorithm) => {
    const parsed = parseDigest(digest);
    expect(parsed.algorithm).toBe(algorithm);
    expect(`${parsed.algorithm}:${parsed.hex}`).toBe(digest);
    expect(isDigest(digest)).toBe(true);
  });

  it.each([
    ['', 'invalid-format'],
    ['sha256', 'invalid-format'],
    ['sha256:', 'invalid-format'],
    [':abc', 'invalid-format'],
    [`sha256:${'a'.repeat(63)}`, 'invalid-length'],
    [`sha256:${'a'.repeat(65)}`, 'invalid-length'],
    [`sha256:${'A'.repeat(64)}`, 'invalid-format'],
    [`sha256:${'g'.repeat(64)}`, 'invalid-format'],
    [`sha512:${'a'.repeat(64)}`, 'invalid-length'],
    [`sha384:${'a'.repeat(96)}`, 'unsupported-algorithm'],
    [`blake3:${'a'.repeat(64)}`, 'unsupported-algorithm'],
    [`multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8`, 'unsupported-algorithm'],
    [`SHA256:${'a'.repeat(64)}`, 'invalid-format'],
    [`sha256 :${'a'.repeat(64)}`, 'invalid-format'],
    [`sha256:${'a'.repeat(64)}\n`, 'invalid-length'], // go-digest checks the length first
  ])('classifies %j as %s', (digest, problem) => {
    expect(digestProblem(digest)).toBe(problem);
    expect(isDigest(digest)).toBe(false);
  });

  it('throws INVALID_ARGUMENT for malformed digests and UNSUPPORTED for other algorithms', () => {
    const malformed = thrown(() => parseDigest('sha256:xyz'));
    expect(malformed.code).toBe('INVALID_ARGUMENT');
    expect(malformed.message).toContain('"sha256:xyz"');
    expect(malformed.details['reason']).toBe('invalid-length');
    const other = thrown(() => parseDigest(`sha384:${'a'.repeat(96)}`));
    expect(other.code).toBe('UNSUPPORTED');
  });

  it('isDigest is false for non-strings', () => {
    expect(isDigest(42)).toBe(false);
    expect(isDigest(undefined)).toBe(false);
  });
});

describe('hashing', () => {
  it('sha256Digest of bytes and strings', () => {
    expect(sha256Digest(new Uint8Array())).toBe(EMPTY_SHA256);
    expect(sha256Digest('a')).toBe(A_SHA256);
    expect(sha256Digest(new Uint8Array([0x61]))).toBe(A_SHA256);
    expect(digestOf('hello', 'sha512')).toBe(HELLO_SHA512);
  });

  it('createDigester hashes chunk by chunk and counts bytes', () => {
    const digester = createDigester('sha512');
    digester.update('he').update(new Uint8Array([0x6c, 0x6c])).update('o');
    expect(digester.bytes).toBe(5);
    expect(digester.digest()).toBe(HELLO_SHA512);
    // Taking the digest again returns the same value; updating afterwards is a bug.
    expect(digester.digest()).toBe(HELLO_SHA512);
    expect(thrown(() => digester.update('x')).code).toBe('INTERNAL');
  });

  it('createDigester refuses unknown algorithms', () => {
    expect(thrown(() => createDigester('md5' as never)).code).toBe('UNSUPPORTED');
  });

  it('verifyDigest accepts matching content and names both digests on a mismatch', () => {
    expect(() => verifyDigest(new TextEncoder().encode('a'), A_SHA256)).not.toThrow();
    expect(() => verifyDigest(new TextEncoder().encode('a'), A_SHA256, 1)).not.toThrow();
    const mismatch = thrown(() => verifyDigest(new TextEncoder().encode('b'), A_SHA256));
    expect(mismatch.code).toBe('DIGEST_MISMATCH');
    expect(mismatch.message).toContain(A_SHA256);
    expect(mismatch.details['actual']).toBe(sha256Digest('b'));
    const size = thrown(() => verifyDigest(new TextEncoder().encode('a'), A_SHA256, 2));
    expect(size.code).toBe('DIGEST_MISMATCH');
    expect(size.message).toContain('1 bytes, expected 2');
    expect(thrown(() => verifyDigest(new Uint8Array(), 'nope')).code).toBe('INVALID_ARGUMENT');
  });
});
