import { describe, expect, it } from 'vitest';
import { isOverlayWhiteout, parseWhiteout, whiteoutName } from './whiteout';
import { compressionOfMediaType, detectCompression } from './compression';

describe('whiteout names', () => {
  it('classifies OCI whiteouts, opaque markers and aufs metadata', () => {
    expect(parseWhiteout('.wh.passwd')).toEqual({ kind: 'delete', name: 'passwd' });
    expect(parseWhiteout('.wh..hidden')).toEqual({ kind: 'delete', name: '.hidden' });
    expect(parseWhiteout('.wh..wh..opq')).toEqual({ kind: 'opaque' });
    expect(parseWhiteout('.wh..wh.plnk')).toEqual({ kind: 'ignore' });
    expect(parseWhiteout('.wh..wh.aufs')).toEqual({ kind: 'ignore' });
    expect(parseWhiteout('passwd')).toBeUndefined();
    expect(parseWhiteout('x.wh.y')).toBeUndefined();
    expect(whiteoutName('passwd')).toBe('.wh.passwd');
  });

  it('recognises overlayfs whiteouts as 0/0 character devices only', () => {
    const device = (rdev: number, char = true) => ({ isCharacterDevice: () => char, rdev });
    expect(isOverlayWhiteout(device(0))).toBe(true);
    expect(isOverlayWhiteout(device(259))).toBe(false);
    expect(isOverlayWhiteout(device(0, false))).toBe(false);
  });
});

describe('compression', () => {
  it('detects gzip and zstd by magic and maps media types', () => {
    expect(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('gzip');
    expect(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).toBe('zstd');
    expect(detectCompression(Buffer.from('ustar'))).toBe('none');
    expect(compressionOfMediaType('application/vnd.docker.image.rootfs.diff.tar.gzip')).toBe('gzip');
    expect(compressionOfMediaType('application/vnd.oci.image.layer.v1.tar+zstd')).toBe('zstd');
    expect(compressionOfMediaType(undefined)).toBeUndefined();
    expect(() => compressionOfMediaType('application/json')).toThrow(/not a layer type/);
  });
});
