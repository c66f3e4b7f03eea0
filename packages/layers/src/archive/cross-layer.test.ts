/**
 * Layers as the real world writes them, applied over lower layers: usrmerge symlinks with a later layer
 * writing below the real directory, and hard links to files that only a lower layer holds (copied up in
 * an overlay upper dir, as overlayfs does for a link made through the mount).
 */
import { chmodSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { applyLayer } from './apply';
import { buildTar, chunked, isRoot, removeDir, snapshotOf, tempDir } from './testing';
import { mknod, S_IFCHR, setXattr } from './xattrs';

describe('layers over lower layers', () => {
  let dir: string;
  let lower: string;
  let upper: string;
  beforeEach(() => {
    dir = tempDir('cross-layer');
    lower = `${dir}/lower`;
    upper = `${dir}/upper`;
    mkdirSync(`${lower}/usr/bin`, { recursive: true });
    mkdirSync(upper);
    symlinkSync('usr/bin', `${lower}/bin`);
    writeFileSync(`${lower}/usr/bin/tool`, 'tool v1');
    chmodSync(`${lower}/usr/bin/tool`, 0o4755);
  });
  afterEach(() => removeDir(dir));

  it('usrmerge: a later layer writes usr/bin/x next to the lower bin -> usr/bin symlink', async () => {
    await applyLayer(chunked(await buildTar([{ name: 'usr/bin/x', content: 'x', mode: 0o755 }])), upper, { whiteouts: 'overlay', lowerRoots: [lower] });
    expect(readFileSync(`${upper}/usr/bin/x`, 'utf8')).toBe('x');
    expect(lstatSync(`${upper}/usr/bin`).isDirectory()).toBe(true);
  });

  it('overlay: a hard link to a file of a lower layer copies the file up, then links to the copy', async () => {
    const lowerBefore = snapshotOf(lower);
    const result = await applyLayer(chunked(await buildTar([{ name: 'usr/bin/alias', type: 'link', linkname: 'usr/bin/tool' }])), upper, {
      whiteouts: 'overlay',
      lowerRoots: [lower],
    });
    expect(result.entries).toBe(1);
    const copy = lstatSync(`${upper}/usr/bin/tool`);
    const link = lstatSync(`${upper}/usr/bin/alias`);
    expect(link.ino).toBe(copy.ino);
    expect(copy.nlink).toBe(2);
    expect(readFileSync(`${upper}/usr/bin/alias`, 'utf8')).toBe('tool v1');
    expect(copy.mode & 0o7777).toBe(0o4755);
    // The lower layer is shared by other images: it must not change.
    expect(snapshotOf(lower)).toEqual(lowerBefore);
    expect(lstatSync(`${lower}/usr/bin/tool`).nlink).toBe(1);
  });

  it('overlay: copy-up takes the nearest layer and keeps its xattrs', async () => {
    const nearer = `${dir}/nearer`;
    mkdirSync(`${nearer}/usr/bin`, { recursive: true });
    writeFileSync(`${nearer}/usr/bin/tool`, 'tool v2');
    setXattr(`${nearer}/usr/bin/tool`, 'user.origin', Buffer.from('nearer'));
    await applyLayer(chunked(await buildTar([{ name: 'alias', type: 'link', linkname: 'usr/bin/tool' }])), upper, { whiteouts: 'overlay', lowerRoots: [nearer, lower] });
    expect(readFileSync(`${upper}/alias`, 'utf8')).toBe('tool v2');
    expect(readFileSync(`${upper}/usr/bin/tool`, 'utf8')).toBe('tool v2');
  });

  it('overlay: a link target reached through a lower symlink is not followed', async () => {
    const error = await applyLayer(chunked(await buildTar([{ name: 'alias', type: 'link', linkname: 'bin/tool' }])), upper, { whiteouts: 'overlay', lowerRoots: [lower] }).catch((e: unknown) => e);
    expect(isCError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toMatch(/not in this layer/);
  });

  it.skipIf(!isRoot)('overlay: a target deleted by a nearer layer (whiteout) is not copied up', async () => {
    const nearer = `${dir}/nearer`;
    mkdirSync(`${nearer}/usr/bin`, { recursive: true });
    mknod(`${nearer}/usr/bin/tool`, S_IFCHR, 0);
    const error = await applyLayer(chunked(await buildTar([{ name: 'alias', type: 'link', linkname: 'usr/bin/tool' }])), upper, { whiteouts: 'overlay', lowerRoots: [nearer, lower] }).catch((e: unknown) => e);
    expect(isCError(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it.skipIf(!isRoot)('overlay: a target this layer deleted (whiteout in the upper) is refused, not linked to', async () => {
    const layer = await buildTar([{ name: 'usr/bin/.wh.tool' }, { name: 'alias', type: 'link', linkname: 'usr/bin/tool' }]);
    const error = await applyLayer(chunked(layer), upper, { whiteouts: 'overlay', lowerRoots: [lower] }).catch((e: unknown) => e);
    expect(isCError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(lstatSync(`${upper}/alias`, { throwIfNoEntry: false })).toBeUndefined();
  });

  it.skipIf(!isRoot)('overlay: a target below a directory this layer made opaque is not copied up', async () => {
    const layer = await buildTar([{ name: 'usr/', type: 'directory' }, { name: 'usr/.wh..wh..opq' }, { name: 'alias', type: 'link', linkname: 'usr/bin/tool' }]);
    const error = await applyLayer(chunked(layer), upper, { whiteouts: 'overlay', lowerRoots: [lower] }).catch((e: unknown) => e);
    expect(isCError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(lstatSync(`${upper}/usr/bin`, { throwIfNoEntry: false })).toBeUndefined();
  });
});
