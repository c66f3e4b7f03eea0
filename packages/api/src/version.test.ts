import { describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { API_VERSION, MIN_API_VERSION, checkApiVersion, compareApiVersions, parseApiVersion, splitVersionedPath } from './version';

describe('API versions', () => {
  it('advertises at least 1.41 and accepts from 1.24', () => {
    expect(compareApiVersions(API_VERSION, '1.41')).toBeGreaterThanOrEqual(0);
    expect(MIN_API_VERSION).toBe('1.24');
  });

  it('parses MAJOR.MINOR and rejects other shapes', () => {
    expect(parseApiVersion('1.43')).toEqual({ major: 1, minor: 43 });
    for (const bad of ['1', '1.43.0', 'v1.43', '', '1.x']) {
      expect(() => parseApiVersion(bad)).toThrow(/invalid API version/);
    }
  });

  it('compares numerically, not as strings', () => {
    expect(compareApiVersions('1.9', '1.43')).toBeLessThan(0);
    expect(compareApiVersions('1.43', '1.43')).toBe(0);
    expect(compareApiVersions('2.0', '1.99')).toBeGreaterThan(0);
  });

  it('splits a versioned path and leaves others alone', () => {
    expect(splitVersionedPath('/v1.43/images/json')).toEqual({ version: '1.43', path: '/images/json' });
    expect(splitVersionedPath('/v1.24/_ping')).toEqual({ version: '1.24', path: '/_ping' });
    expect(splitVersionedPath('/v1.43')).toEqual({ version: '1.43', path: '/' });
    expect(splitVersionedPath('/images/json')).toEqual({ version: undefined, path: '/images/json' });
    expect(splitVersionedPath('/volumes')).toEqual({ version: undefined, path: '/volumes' });
  });

  it('rejects versions outside the range with docker wording', () => {
    expect(() => checkApiVersion('1.43')).not.toThrow();
    expect(() => checkApiVersion('1.24')).not.toThrow();
    expect(() => checkApiVersion('1.99')).toThrow(
      'client version 1.99 is too new. Maximum supported API version is 1.43',
    );
    try {
      checkApiVersion('1.12');
      expect.unreachable();
    } catch (error) {
      expect(isCError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toMatch(/^client version 1.12 is too old. Minimum supported API version is 1.24/);
    }
    expect(() => checkApiVersion('1.2.3')).toThrow(/invalid API version/);
  });
});
