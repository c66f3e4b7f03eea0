import { CError } from '@c/errors';
import { describe, expect, it } from 'vitest';
import { canonicalJson, descriptorOf, serializeCanonical } from './canonical';
import { sha256Digest } from './digest';

describe('serializeCanonical', () => {
  it('sorts keys at every level, drops undefined members, no whitespace', () => {
    const value = { b: 1, a: { d: [3, { z: true, y: null }], c: 'x' }, u: undefined };
    expect(canonicalJson(value)).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('gives the same bytes and digest for the same object in any key order', () => {
    const one = serializeCanonical({ schemaVersion: 2, mediaType: 'm', layers: [] });
    const two = serializeCanonical({ layers: [], mediaType: 'm', schemaVersion: 2 });
    expect(Buffer.from(one.bytes).equals(Buffer.from(two.bytes))).toBe(true);
    expect(one.digest).toBe(two.digest);
    expect(one.digest).toBe(sha256Digest(one.bytes));
    expect(one.size).toBe(one.bytes.byteLength);
  });

  it('encodes non-ASCII as UTF-8 and counts bytes, not characters', () => {
    const doc = serializeCanonical({ label: 'é' });
    expect(new TextDecoder().decode(doc.bytes)).toBe('{"label":"é"}');
    expect(doc.size).toBe(14);
  });

  it('keeps a "__proto__" member of parsed JSON as data', () => {
    const parsed = JSON.parse('{"b":2,"__proto__":{"x":1}}') as unknown;
    expect(canonicalJson(parsed)).toBe('{"__proto__":{"x":1},"b":2}');
  });

  it('refuses values JSON cannot hold', () => {
    for (const bad of [{ n: Number.NaN }, { n: Number.POSITIVE_INFINITY }, { f: () => 1 }, { b: 1n }]) {
      expect(() => serializeCanonical(bad)).toThrow(CError);
    }
    try {
      serializeCanonical({ a: [{ n: Number.NaN }] });
    } catch (error) {
      expect((error as CError).message).toContain('a[0].n');
    }
  });

  it('descriptorOf builds a descriptor from a serialized document', () => {
    const doc = serializeCanonical({ a: 1 });
    expect(descriptorOf(doc, 'application/json', { annotations: { k: 'v' } })).toEqual({
      mediaType: 'application/json',
      digest: doc.digest,
      size: 7,
      annotations: { k: 'v' },
    });
  });
});
