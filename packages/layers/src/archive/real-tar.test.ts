/**
 * Layers written by real tools rather than by our encoder or tar-stream: GNU tar in its gnu and pax formats
 * (long names, long link targets, hard links, xattrs, sparse files in all three sparse encodings), and
 * Go's archive/tar as umoci uses it. Each is applied and compared with the tree it was made from.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { applyLayer } from './apply';
import { chunked, isRoot, listTree, removeDir, tempDir } from './testing';
import { getXattr, setXattr } from './xattrs';

const LONG_DIR = `${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(90)}`;
const LONG_FILE = `${LONG_DIR}/${'n'.repeat(120)}.txt`;
const SPARSE_SIZE = 5 * 2 ** 20;
/** Ten data regions: more than the four an old GNU sparse header holds, so extension blocks follow. */
const SPARSE_REGIONS = Array.from({ length: 10 }, (_, i) => ({ offset: i * 400_000 + 4096, data: `region${i}` }));

function makeSource(src: string): void {
  mkdirSync(`${src}/${LONG_DIR}`, { recursive: true });
  writeFileSync(`${src}/${LONG_FILE}`, 'deep');
  symlinkSync(`../${'t'.repeat(150)}`, `${src}/long-target`);
  writeFileSync(`${src}/one`, 'shared');
  linkSync(`${src}/one`, `${src}/two`);
  writeFileSync(`${src}/sparse`, '');
  execFileSync('truncate', ['-s', String(SPARSE_SIZE), `${src}/sparse`]);
  for (const region of SPARSE_REGIONS) {
    execFileSync('dd', [`of=${src}/sparse`, 'bs=1', `seek=${region.offset}`, 'conv=notrunc', 'status=none'], { input: region.data });
  }
  setXattr(`${src}/one`, 'user.origin', Buffer.from([0, 1, 2, 0xff]));
}

function expectSameTree(src: string, root: string): void {
  expect(listTree(root, { ignoreXattrs: ['user.'] })).toEqual(listTree(src, { ignoreXattrs: ['user.'] }));
  expect(readFileSync(`${root}/${LONG_FILE}`, 'utf8')).toBe('deep');
  expect(lstatSync(`${root}/two`).ino).toBe(lstatSync(`${root}/one`).ino);
  const sparse = readFileSync(`${root}/sparse`);
  expect(sparse.equals(readFileSync(`${src}/sparse`))).toBe(true);
  // The holes stay holes: the file takes a few blocks, not 5 MiB.
  expect(lstatSync(`${root}/sparse`).blocks * 512).toBeLessThan(SPARSE_SIZE / 4);
}

describe('layers written by GNU tar', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('real-tar');
    makeSource(`${dir}/src`);
    mkdirSync(`${dir}/root`);
  });
  afterEach(() => removeDir(dir));

  it.each([
    ['gnu format (old GNU sparse headers with extension blocks, ././@LongLink names)', ['--format=gnu']],
    ['pax format, sparse 0.1', ['--format=pax', '--sparse-version=0.1']],
    ['pax format, sparse 1.0', ['--format=pax', '--sparse-version=1.0']],
  ])('%s', async (_name, flags) => {
    const tar = execFileSync('tar', [...flags, '--sparse', '--xattrs', '--xattrs-include=user.*', '-cf', '-', '-C', `${dir}/src`, '.'], { maxBuffer: 64 << 20 });
    expect(tar.length).toBeLessThan(SPARSE_SIZE / 4); // really sparse in the archive
    const result = await applyLayer(chunked(tar, 777), `${dir}/root`);
    expect(result.bytes).toBe(tar.length);
    expectSameTree(`${dir}/src`, `${dir}/root`);
    if (flags[0] === '--format=pax') expect(getXattr(`${dir}/root/one`, 'user.origin')).toEqual(Buffer.from([0, 1, 2, 0xff]));
  });

  it('refuses a sparse map that points outside the file', async () => {
    const tar = execFileSync('tar', ['--format=pax', '--sparse-version=0.1', '--sparse', '-cf', '-', '-C', `${dir}/src`, 'sparse'], { maxBuffer: 64 << 20 });
    const text = tar.toString('latin1');
    const at = text.indexOf(`GNU.sparse.size=${SPARSE_SIZE}`);
    expect(at).toBeGreaterThan(0);
    // Same length, smaller real size: the last regions now lie beyond the end of the file.
    const forged = Buffer.from(text.replace(`GNU.sparse.size=${SPARSE_SIZE}`, `GNU.sparse.size=${'1'.padStart(String(SPARSE_SIZE).length, '0')}`), 'latin1');
    const error = await applyLayer(chunked(forged), `${dir}/root`).catch((e: unknown) => e);
    expect(isCError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toMatch(/outside the file/);
    expect(existsSync(`${dir}/root/sparse`)).toBe(false);
  });
});

describe.skipIf(!isRoot)('layers written by Go archive/tar (umoci repack)', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('go-tar');
  });
  afterEach(() => removeDir(dir));

  it('applies a layer umoci wrote for long names, long link targets, hard links and xattrs', async () => {
    const layout = `${dir}/layout`;
    const bundle = `${dir}/bundle`;
    execFileSync('umoci', ['init', '--layout', layout], { stdio: 'pipe' });
    execFileSync('umoci', ['new', '--image', `${layout}:base`], { stdio: 'pipe' });
    execFileSync('umoci', ['unpack', '--image', `${layout}:base`, bundle], { stdio: 'pipe' });
    const before = new Set(readdirSync(`${layout}/blobs/sha256`));
    makeSource(`${bundle}/rootfs`);
    execFileSync('umoci', ['repack', '--image', `${layout}:base`, bundle], { stdio: 'pipe' });
    const added = readdirSync(`${layout}/blobs/sha256`).filter((name) => !before.has(name));
    const layer = added.map((name) => readFileSync(`${layout}/blobs/sha256/${name}`)).find((blob) => blob[0] === 0x1f && blob[1] === 0x8b);
    expect(layer).toBeDefined();
    mkdirSync(`${dir}/root`);
    await applyLayer(chunked(layer!), `${dir}/root`);
    expect(readFileSync(`${dir}/root/${LONG_FILE}`, 'utf8')).toBe('deep');
    expect(lstatSync(`${dir}/root/two`).ino).toBe(lstatSync(`${dir}/root/one`).ino);
    expect(getXattr(`${dir}/root/one`, 'user.origin')).toEqual(Buffer.from([0, 1, 2, 0xff]));
    expect(readFileSync(`${dir}/root/sparse`).equals(readFileSync(`${bundle}/rootfs/sparse`))).toBe(true);
  });
});
