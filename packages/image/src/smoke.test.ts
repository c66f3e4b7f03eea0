import { expect, test } from 'vitest';
import { parseReference, formatReference, familiarName, withDefaultTag, sha256Digest, parseDigest } from './index';
test('smoke', () => {
  const r = parseReference('busybox');
  expect(formatReference(withDefaultTag(r))).toBe('docker.io/library/busybox:latest');
  expect(familiarName(withDefaultTag(parseReference('index.docker.io/library/busybox')))).toBe('busybox:latest');
  expect(parseReference('localhost:5000/foo:bar')).toEqual({registry:'localhost:5000', repository:'foo', tag:'bar'});
  expect(sha256Digest('')).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  expect(parseDigest(sha256Digest('')).algorithm).toBe('sha256');
});
