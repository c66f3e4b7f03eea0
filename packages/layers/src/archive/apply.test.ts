import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { applyLayer } from './apply';
import { ASYNC_WRITE_FROM } from './extractor';
import { getXattr } from './xattrs';
import { END_OF_ARCHIVE, encodeHeader } from './tar-writer';
import type { TarEntry } from './tar-format';
import { buildTar, chunked, isRoot, listTree, removeDir, tempDir } from './testing';

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const base: TarEntry = { name: '', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1_600_000_000, linkname: '', devmajor: 0, devminor: 0, uname: '', gname: '' };

describe('applyLayer', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir('apply');
  });
  afterEach(() => removeDir(root));

  const sample = () =>
    buildTar([
      { name: 'etc/', type: 'directory', mode: 0o755, mtime: 1_500_000_000 },
      { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n', mode: 0o644 },
      { name: 'bin/', type: 'directory' },
      { name: 'bin/su', content: 'binary', mode: 0o4755, uid: 0, gid: 0 },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
      { name: 'bin/busybox', content: 'bb', mode: 0o755 },
      { name: 'bin/ash', type: 'link', linkname: 'bin/busybox' },
      { name: 'tmp/', type: 'directory', mode: 0o1777 },
      { name: 'srv/', type: 'directory', mode: 0o2775, uid: 1000, gid: 1000 },
      { name: 'srv/data', content: 'd', uid: 1000, gid: 1001, mode: 0o640 },
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'run/fifo', type: 'fifo', mode: 0o600 },
    ]);

  it('writes every entry type with modes, owners, times and returns both digests', async () => {
    const tar = await sample();
    const gz = gzipSync(tar);
    const result = await applyLayer(chunked(gz, 333), root);
    expect(result).toMatchObject({ diffId: sha256(tar), compressedDigest: sha256(gz), compression: 'gzip', entries: 12, bytes: tar.length });
    expect(readFileSync(`${root}/etc/passwd`, 'utf8')).toContain('root:x');
    expect(statSync(`${root}/bin/su`).mode & 0o7777).toBe(0o4755);
    expect(statSync(`${root}/tmp`).mode & 0o7777).toBe(0o1777);
    expect(statSync(`${root}/srv`).mode & 0o7777).toBe(0o2775);
    expect(readlinkSync(`${root}/bin/sh`)).toBe('busybox');
    expect(statSync(`${root}/bin/ash`).ino).toBe(statSync(`${root}/bin/busybox`).ino);
    expect(statSync(`${root}/etc`).mtimeMs).toBe(1_500_000_000_000);
    expect(lstatSync(`${root}/run/fifo`).isFIFO()).toBe(true);
    if (isRoot) {
      expect(statSync(`${root}/srv/data`)).toMatchObject({ uid: 1000, gid: 1001 });
      expect(lstatSync(`${root}/dev/null`).isCharacterDevice()).toBe(true);
      expect(lstatSync(`${root}/dev/null`).rdev).toBe(259);
    }
  });

  it('reads uncompressed and zstd layers the same way', async () => {
    const tar = await sample();
    const zst = execFileSync('zstd', ['-q', '-c'], { input: tar });
    const plain = await applyLayer(chunked(tar), root, { mediaType: 'application/vnd.oci.image.layer.v1.tar' });
    expect(plain).toMatchObject({ compression: 'none', diffId: sha256(tar), compressedDigest: sha256(tar) });
    const other = tempDir('apply-zstd');
    try {
      const zstd = await applyLayer(chunked(zst, 1000), other, { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' });
      expect(zstd).toMatchObject({ compression: 'zstd', diffId: sha256(tar), compressedDigest: sha256(zst) });
      expect(listTree(other)).toEqual(listTree(root));
    } finally {
      removeDir(other);
    }
  });

  it('verifies the expected digest and DiffID', async () => {
    const tar = await sample();
    const failure = await applyLayer(chunked(tar), root, { expectedDiffId: sha256(Buffer.from('other')) }).catch((error: unknown) => error);
    expect(isCError(failure, 'DIGEST_MISMATCH')).toBe(true);
    const ok = await applyLayer(chunked(tar), tempDirFor(root), { expectedDigest: sha256(tar), expectedDiffId: sha256(tar) });
    expect(ok.diffId).toBe(sha256(tar));
  });

  it('sets binary xattrs from PAX records', async () => {
    const capability = Buffer.from('0100000200200000000000000000000000000000', 'hex');
    const tar = Buffer.concat([
      encodeHeader({ ...base, name: 'ping', xattrs: new Map([['user.comment', Buffer.from('hi')], ...(isRoot ? [['security.capability', capability] as [string, Buffer]] : [])]) }),
      END_OF_ARCHIVE,
    ]);
    await applyLayer(chunked(tar), root);
    expect(getXattr(`${root}/ping`, 'user.comment')?.toString()).toBe('hi');
    if (isRoot) expect(getXattr(`${root}/ping`, 'security.capability')).toEqual(capability);
  });

  it('replaces entries of earlier layers: file by dir, dir by file, keeps a dir for a dir', async () => {
    mkdirSync(`${root}/was-dir/sub`, { recursive: true });
    writeFileSync(`${root}/was-dir/sub/f`, 'old');
    writeFileSync(`${root}/was-file`, 'old');
    mkdirSync(`${root}/kept`);
    writeFileSync(`${root}/kept/old`, 'old');
    const tar = await buildTar([
      { name: 'was-dir', content: 'now a file' },
      { name: 'was-file/', type: 'directory' },
      { name: 'was-file/inside', content: 'x' },
      { name: 'kept/', type: 'directory', mode: 0o700 },
      { name: 'kept/new', content: 'n' },
    ]);
    await applyLayer(chunked(tar), root);
    expect(readFileSync(`${root}/was-dir`, 'utf8')).toBe('now a file');
    expect(readFileSync(`${root}/was-file/inside`, 'utf8')).toBe('x');
    expect(readFileSync(`${root}/kept/old`, 'utf8')).toBe('old');
    expect(statSync(`${root}/kept`).mode & 0o777).toBe(0o700);
  });

  it('writes large files on the thread pool with the same bytes, modes, owners, times and links', async () => {
    // Spans several 1 MiB inflate chunks, so one file gets many queued writes, some crossing chunk boundaries.
    const big = Buffer.alloc(5 * 1024 * 1024 + 123); // past OFF_THREAD_HASH_FROM: the DiffID is hashed on the worker
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    const edge = Buffer.alloc(ASYNC_WRITE_FROM, 5);
    const tar = await buildTar([
      { name: 'bin/', type: 'directory', mode: 0o755, mtime: 1_400_000_000 },
      { name: 'bin/big', content: big, mode: 0o4755, mtime: 1_300_000_000 },
      { name: 'bin/small', content: 'tiny', mode: 0o644 },
      { name: 'bin/edge', content: edge, mode: 0o600, uid: 1000, gid: 1001, mtime: 1_200_000_000 },
      { name: 'bin/big-link', type: 'link', linkname: 'bin/big' },
      { name: 'bin/replaced', content: big.subarray(0, 200_000) },
      { name: 'bin/replaced', content: 'second' },
    ]);
    const result = await applyLayer(chunked(gzipSync(tar), 100_000), root);
    expect(result.diffId).toBe(sha256(tar));
    expect(readFileSync(`${root}/bin/big`).equals(big)).toBe(true);
    expect(readFileSync(`${root}/bin/edge`).equals(edge)).toBe(true);
    expect(readFileSync(`${root}/bin/replaced`, 'utf8')).toBe('second');
    const stat = statSync(`${root}/bin/big`);
    expect(stat.mode & 0o7777).toBe(0o4755);
    expect(stat.mtimeMs).toBe(1_300_000_000_000);
    expect(statSync(`${root}/bin/big-link`).ino).toBe(stat.ino);
    expect(statSync(`${root}/bin/edge`).mtimeMs).toBe(1_200_000_000_000);
    expect(statSync(`${root}/bin/edge`).mode & 0o7777).toBe(0o600);
    if (isRoot) expect(statSync(`${root}/bin/edge`)).toMatchObject({ uid: 1000, gid: 1001 });
    expect(statSync(`${root}/bin`).mtimeMs).toBe(1_400_000_000_000);
  });

  it('closes every file when a layer fails after large files were queued', async () => {
    const before = readdirSync('/proc/self/fd').length;
    const tar = await buildTar([
      { name: 'a', content: Buffer.alloc(2 * 1024 * 1024, 1) },
      { name: 'b', content: Buffer.alloc(2 * 1024 * 1024, 2) },
    ]);
    const gz = gzipSync(tar);
    // Cut inside b's data: the gzip stream ends early.
    const error = await applyLayer(chunked(gz.subarray(0, gz.length - 200), 50_000), root).catch((e: unknown) => e);
    expect(isCError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(readdirSync('/proc/self/fd').length).toBe(before);
  });

  it('skips hashing a blob verified where it is stored (hashBlob: false) but still checks the DiffID', async () => {
    const tar = await sample();
    const result = await applyLayer(chunked(gzipSync(tar)), root, { hashBlob: false, expectedDiffId: sha256(tar) });
    expect(result.diffId).toBe(sha256(tar));
    expect(result.compressedDigest).toBeUndefined();
    const other = tempDirFor(root);
    const wrong = await applyLayer(chunked(gzipSync(tar)), other, { hashBlob: false, expectedDiffId: `sha256:${'1'.repeat(64)}` }).catch((e: unknown) => e);
    expect(isCError(wrong, 'DIGEST_MISMATCH')).toBe(true);
    const both = await applyLayer(chunked(gzipSync(tar)), other, { hashBlob: false, expectedDigest: sha256(tar) }).catch((e: unknown) => e);
    expect(isCError(both, 'INVALID_ARGUMENT')).toBe(true);
  });

  describe('whiteouts', () => {
    const lower = () => {
      mkdirSync(`${root}/opaque/deep`, { recursive: true });
      writeFileSync(`${root}/opaque/deep/old`, 'o');
      writeFileSync(`${root}/opaque/old`, 'o');
      writeFileSync(`${root}/gone`, 'g');
      mkdirSync(`${root}/gonedir/x`, { recursive: true });
    };
    const layer = () =>
      buildTar([
        { name: '.wh.gone' },
        { name: '.wh.gonedir' },
        { name: 'opaque/', type: 'directory' },
        { name: 'opaque/.wh..wh..opq' },
        { name: 'opaque/new', content: 'n' },
        { name: 'opaque/.wh..wh.plnk' },
        { name: 'fresh/.wh.never-existed' },
      ]);

    it('delete mode removes what lower layers had and keeps this layer\'s entries', async () => {
      lower();
      const result = await applyLayer(chunked(await layer()), root, { whiteouts: 'delete' });
      expect(listTree(root).map((line) => line.split(' ')[0])).toEqual(['opaque', 'opaque/new']);
      expect(result.neutralised).toBe(1); // the aufs .wh..wh.plnk
    });

    it('keeps an entry of the same layer that sorts before the opaque marker', async () => {
      lower();
      const tar = await buildTar([{ name: 'opaque/-first', content: 'f' }, { name: 'opaque/.wh..wh..opq' }]);
      await applyLayer(chunked(tar), root, { whiteouts: 'delete' });
      expect(listTree(root).map((line) => line.split(' ')[0]).filter((p) => p?.startsWith('opaque'))).toEqual(['opaque', 'opaque/-first']);
    });

    it.skipIf(!isRoot)('overlay mode writes 0/0 devices and the opaque xattr (needs root for trusted.*)', async () => {
      await applyLayer(chunked(await layer()), root, { whiteouts: 'overlay' });
      for (const name of ['gone', 'gonedir', 'fresh/never-existed']) {
        const stat = lstatSync(`${root}/${name}`);
        expect(stat.isCharacterDevice() && stat.rdev === 0).toBe(true);
      }
      expect(getXattr(`${root}/opaque`, 'trusted.overlay.opaque')?.toString()).toBe('y');
      expect(readFileSync(`${root}/opaque/new`, 'utf8')).toBe('n');
    });
  });
});

function tempDirFor(root: string): string {
  const dir = `${root}/second`;
  mkdirSync(dir);
  return dir;
}
