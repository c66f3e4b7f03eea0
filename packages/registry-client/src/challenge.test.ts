import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate, pickChallenge } from './challenge';
import { mergeScopes } from './scope';
import { parseRetryAfter } from './retry';

describe('parseWwwAuthenticate', () => {
  it('parses Docker Hub bearer challenges', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
    ]);
  });

  it('keeps commas and escaped quotes inside quoted values, accepts unquoted ones and spaces', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://a/t", scope="repository:x:pull,push", error=invalid_token, note="say \\"hi\\""')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://a/t', scope: 'repository:x:pull,push', error: 'invalid_token', note: 'say "hi"' } },
    ]);
  });

  it('splits several challenges and prefers Bearer over Basic', () => {
    const header = 'Basic realm="Registry", Bearer realm="https://t/token",service="s"';
    expect(parseWwwAuthenticate(header).map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(pickChallenge(header)?.params.realm).toBe('https://t/token');
    expect(pickChallenge(['Basic realm="only"'])?.scheme).toBe('basic');
    expect(pickChallenge(undefined)).toBeUndefined();
  });

  it('survives garbage without looping', () => {
    expect(parseWwwAuthenticate('=,,"unterminated')).toEqual([{ scheme: 'unterminated', params: {} }]);
  });
});

describe('scopes', () => {
  it('merges actions per resource into a sorted, stable key', () => {
    expect(mergeScopes(['repository:b:push', 'repository:a:pull'], ['repository:b:pull repository:a:pull'])).toEqual([
      'repository:a:pull',
      'repository:b:pull,push',
    ]);
    expect(mergeScopes(['registry:catalog:*'])).toEqual(['registry:catalog:*']);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
