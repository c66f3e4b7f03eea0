import { chmodSync, lchownSync, lstatSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayer } from './apply';
import { needsLowerLayers } from './extractor';
import { OVERLAY_OPAQUE_XATTR } from './whiteout';
import { mknod, S_IFCHR, setXattr } from './xattrs';
import { inheritLowerAttributes, lowerDirectory } from './implicit-directories';
import { buildTar, chunked, isRoot, removeDir, tempDir } from './testing';

describe('implicit directories of an overlay upper dir', () => {
  let dir: string;
  let lower: string;
  let upper: string;
  beforeEach(() => {
    dir = tempDir('implicit');
    lower = `${dir}/lower`;
    upper = `${dir}/upper`;
    mkdirSync(`${lower}/usr/lib`, { recursive: true });
    chmodSync(`${lower}/usr`, 0o750);
    chmodSync(`${lower}/usr/lib`, 0o711);
    if (isRoot) lchownSync(`${lower}/usr/lib`, 7, 8);
    utimesSync(`${lower}/usr/lib`, 1_400_000_000, 1_400_000_000);
    mkdirSync(upper);
  });
  afterEach(() => removeDir(dir));

  const layer = () =>
    buildTar([
      { name: 'usr/lib/python/x.py', content: 'x' },
      { name: 'opt/', type: 'directory', mode: 0o700, mtime: 1_300_000_000 },
      { name: 'opt/tool', content: 't' },
    ]);

  it('take mode, owner and times from the lower layer once the layer is written', async () => {
    await applyLayer(chunked(await layer()), upper, { whiteouts: 'overlay', lowerRoots: [lower] });
    const lib = lstatSync(`${upper}/usr/lib`);
    expect(lib.mode & 0o7777).toBe(0o711);
    if (isRoot) expect([lib.uid, lib.gid]).toEqual([7, 8]);
    // Set after the children were created, so their creation does not overwrite it.
    expect(lib.mtimeMs).toBe(1_400_000_000_000);
    expect(lstatSync(`${upper}/usr`).mode & 0o7777).toBe(0o750);
    // No lower directory: the default. An explicit entry: its own attributes.
    expect(lstatSync(`${upper}/usr/lib/python`).mode & 0o7777).toBe(0o755);
    expect(lstatSync(`${upper}/opt`).mode & 0o7777).toBe(0o700);
    expect(lstatSync(`${upper}/opt`).mtimeMs).toBe(1_300_000_000_000);
  });

  it('with lowerLayersPending are listed instead (explicit ones not), and inheritLowerAttributes gives the same result', async () => {
    const result = await applyLayer(chunked(await layer()), upper, { whiteouts: 'overlay', lowerLayersPending: true });
    expect(result.implicitDirectories?.sort()).toEqual(['usr', 'usr/lib', 'usr/lib/python']);
    expect(lstatSync(`${upper}/usr/lib`).mode & 0o7777).toBe(0o755);
    inheritLowerAttributes(upper, [lower], result.implicitDirectories!);
    const sequential = `${dir}/sequential`;
    mkdirSync(sequential);
    await applyLayer(chunked(await layer()), sequential, { whiteouts: 'overlay', lowerRoots: [lower] });
    for (const path of ['usr', 'usr/lib', 'usr/lib/python']) {
      const [a, b] = [lstatSync(`${upper}/${path}`), lstatSync(`${sequential}/${path}`)];
      expect([a.mode, a.uid, a.gid]).toEqual([b.mode, b.uid, b.gid]);
    }
    expect(lstatSync(`${upper}/usr/lib`).mtimeMs).toBe(lstatSync(`${sequential}/usr/lib`).mtimeMs);
  });

  it('with lowerLayersPending refuse a hard link to a file only a lower layer could hold, before writing it', async () => {
    const error = await applyLayer(chunked(await buildTar([{ name: 'alias', type: 'link', linkname: 'usr/bin/tool' }])), upper, {
      whiteouts: 'overlay',
      lowerLayersPending: true,
    }).catch((e: unknown) => e);
    expect(needsLowerLayers(error)).toBe(true);
    expect(lstatSync(`${upper}/alias`, { throwIfNoEntry: false })).toBeUndefined();
  });

  it('are left alone when replaced by a symlink since, and never followed', () => {
    mkdirSync(`${upper}/target/lib`, { recursive: true });
    symlinkSync('target', `${upper}/usr`);
    inheritLowerAttributes(upper, [lower], ['usr', 'usr/lib']);
    expect(lstatSync(`${upper}/target/lib`).mode & 0o7777).toBe(0o755);
    expect(lstatSync(`${upper}/usr`).isSymbolicLink()).toBe(true);
  });

  it('look through lower layers nearest first; a file, symlink, whiteout or opaque directory there hides the ones below', () => {
    const nearer = `${dir}/nearer`;
    mkdirSync(nearer);
    writeFileSync(`${nearer}/usr`, 'a file');
    expect(lowerDirectory([nearer, lower], ['usr', 'lib'])).toBeUndefined();
    rmSync(`${nearer}/usr`);
    symlinkSync(`${lower}/usr`, `${nearer}/usr`);
    expect(lowerDirectory([nearer, lower], ['usr', 'lib'])).toBeUndefined();
    rmSync(`${nearer}/usr`);
    expect(lowerDirectory([nearer, lower], ['usr', 'lib'])?.mode).toBe(lstatSync(`${lower}/usr/lib`).mode);
    expect(lowerDirectory([nearer, lower], ['usr', 'missing'])).toBeUndefined();
    // An opaque directory of a nearer layer hides what the layers below hold under it; a whiteout hides the path.
    // (trusted.* xattrs and device nodes need root.)
    if (!isRoot) return;
    mkdirSync(`${nearer}/usr`);
    setXattr(`${nearer}/usr`, OVERLAY_OPAQUE_XATTR, Buffer.from('y'));
    expect(lowerDirectory([nearer, lower], ['usr', 'lib'])).toBeUndefined();
    expect(lowerDirectory([nearer, lower], ['usr'])?.ino).toBe(lstatSync(`${nearer}/usr`).ino);
    rmSync(`${nearer}/usr`, { recursive: true });
    mknod(`${nearer}/usr`, S_IFCHR, 0, 0, 0);
    expect(lowerDirectory([nearer, lower], ['usr'])).toBeUndefined();
  });
});
