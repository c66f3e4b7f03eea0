import { describe, expect, it } from 'vitest';
import { familiarName } from '@c/image';
import { joinReference, pullAccessError } from './images';
import { CError, isCError } from '@c/errors';

describe('joinReference', () => {
  const join = (name: string, tag: string | null) => familiarName(joinReference(name, tag));

  it('adds the tag, or keeps the name as written without one', () => {
    expect(join('busybox', 'latest')).toBe('busybox:latest');
    expect(join('127.0.0.1:5000/busybox', 'v1')).toBe('127.0.0.1:5000/busybox:v1');
    expect(join('busybox:1.36', null)).toBe('busybox:1.36');
    expect(join('busybox', '')).toBe('busybox');
  });

  it('lets the tag parameter replace a tag or digest in the name, and take a digest', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(join('busybox:1.36', 'latest')).toBe('busybox:latest');
    expect(join('busybox', digest)).toBe(`busybox@${digest}`);
    expect(join(`busybox@${digest}`, 'v2')).toBe('busybox:v2');
  });

  it('refuses malformed names, tags and digests', () => {
    expect(() => joinReference('Busy Box', null)).toThrow(/invalid reference/);
    expect(() => joinReference('busybox', 'bad tag')).toThrow(/invalid reference/);
    expect(() => joinReference('busybox', 'sha256:short')).toThrow(/invalid reference/);
  });
});

describe('pullAccessError', () => {
  it('turns refused credentials into docker\'s 404 wording and leaves other errors alone', () => {
    const denied = pullAccessError(new CError('UNAUTHORIZED', 'HTTP 401'), 'private');
    expect(isCError(denied, 'NOT_FOUND')).toBe(true);
    expect((denied as Error).message).toBe(
      "pull access denied for private, repository does not exist or may require 'docker login': HTTP 401",
    );
    const other = new CError('UNAVAILABLE', 'connection refused');
    expect(pullAccessError(other, 'x')).toBe(other);
  });
});
