import { describe, expect, it } from 'vitest';
import { checkFilterKeys, encodeFilters, globMatch, parseFilters } from './filters';

describe('filters', () => {
  it('parses the map form and the legacy array form', () => {
    expect([...parseFilters('{"reference":{"busybox":true,"alpine":false},"dangling":{"true":true}}')]).toEqual([
      ['reference', ['busybox']],
      ['dangling', ['true']],
    ]);
    expect([...parseFilters('{"reference":["a","b"]}')]).toEqual([['reference', ['a', 'b']]]);
    expect(parseFilters(null).size).toBe(0);
    expect(parseFilters('').size).toBe(0);
  });

  it('round-trips through encodeFilters', () => {
    const text = encodeFilters({ reference: ['busybox:*'], label: [] });
    expect(text).toBe('{"reference":{"busybox:*":true}}');
    expect([...parseFilters(text)]).toEqual([['reference', ['busybox:*']]]);
  });

  it('rejects malformed filters and unknown keys with docker wording', () => {
    expect(() => parseFilters('{')).toThrow(/not JSON/);
    expect(() => parseFilters('[1]')).toThrow(/expected a JSON object/);
    expect(() => parseFilters('{"reference":[1]}')).toThrow(/must be strings/);
    expect(() => checkFilterKeys(parseFilters('{"nope":["x"]}'), ['reference'])).toThrow("invalid filter 'nope'");
  });

  it('matches globs like Go path.Match', () => {
    expect(globMatch('busybox', 'busybox')).toBe(true);
    expect(globMatch('busybox:*', 'busybox:latest')).toBe(true);
    expect(globMatch('busy*', 'busybox')).toBe(true);
    expect(globMatch('*', 'library/busybox')).toBe(false);
    expect(globMatch('127.0.0.1:5000/*', '127.0.0.1:5000/busybox')).toBe(true);
    expect(globMatch('127.0.0.1:5000/*', '127.0.0.1x5000/busybox')).toBe(false);
    expect(globMatch('b?sybox', 'busybox')).toBe(true);
    expect(globMatch('[a-c]usybox', 'busybox')).toBe(true);
    expect(globMatch('[^a-c]usybox', 'busybox')).toBe(false);
    expect(globMatch('a\\*', 'a*')).toBe(true);
    expect(globMatch('a\\*', 'ab')).toBe(false);
    expect(() => globMatch('[abc', 'a')).toThrow(/invalid reference filter pattern/);
  });
});
