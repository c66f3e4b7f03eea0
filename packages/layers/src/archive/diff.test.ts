import { chmodSync, linkSync, mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { CopySnapshotter } from '../snapshots/copy';
import { imageOf, richLayers } from '../snapshots/fixtures';
import { OverlaySnapshotter } from '../snapshots/overlay';
import { performMounts, unmountAll } from '../snapshots/testing';
import type { Snapshotter } from '../snapshots/types';
import { unpackImage } from '../snapshots/unpack';
import { applyLayer } from './apply';
import { type DiffOptions, type DiffResult, writeDiff } from './diff';
import { setXattr } from './xattrs';
import { TarReader } from './tar-reader';
import { chunked, isRoot, listTree, removeDir, tempDir } from './testing';

/** What a container might do to its rootfs. */
function makeChanges(dir: string): void {
  writeFileSync(`${dir}/usr/bin/tool`, 'tool v3, changed in the container');
  unlinkSync(`${dir}/etc/delete-me`);
  rmSync(`${dir}/home/user`, { recursive: true });
  rmSync(`${dir}/opaque`, { recursive: true });
  mkdirSync(`${dir}/opaque`); // deleted then re-created: overlay marks it opaque
  writeFileSync(`${dir}/opaque/fresh`, 'fresh');
  mkdirSync(`${dir}/srv/app`, { recursive: true });
  writeFileSync(`${dir}/srv/app/a`, 'shared inode');
  linkSync(`${dir}/srv/app/a`, `${dir}/srv/app/b`);
  symlinkSync('../usr/bin/tool', `${dir}/srv/tool`);
  setXattr(`${dir}/srv/app/a`, 'user.kind', Buffer.from([1, 2, 3]));
  chmodSync(`${dir}/tmp`, 0o1770);
}

async function diffToBuffer(snapshotter: Snapshotter, key: string, options: DiffOptions = {}): Promise<{ blob: Buffer; result: DiffResult }> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  const result = await writeDiff(await snapshotter.diffSource(key), sink, options);
  return { blob: Buffer.concat(chunks), result };
}

function entryNames(tar: Buffer): string[] {
  const names: string[] = [];
  const reader = new TarReader((entry) => void names.push(`${entry.type}:${entry.name}${entry.linkname ? `->${entry.linkname}` : ''}`));
  reader.push(tar);
  reader.finish();
  return names;
}

describe.skipIf(!isRoot).each([
  ['overlay', (root: string) => new OverlaySnapshotter(root)],
  ['copy', (root: string) => new CopySnapshotter(root)],
] as const)('diff round trip (%s)', (driver, make) => {
  let root: string;
  const mounted: string[] = [];
  beforeEach(() => {
    root = tempDir(`diff-${driver}`);
  });
  afterEach(() => {
    unmountAll(mounted);
    removeDir(root);
  });

  /** Prepares `key` on the image, applies makeChanges through a real mount, unmounts. */
  async function changed(snapshotter: Snapshotter, key: string, parent: string): Promise<void> {
    const mounts = await snapshotter.prepare(key, parent);
    mounted.push(...performMounts(mounts, `${root}/mnt-${key}`));
    makeChanges(`${root}/mnt-${key}`);
    unmountAll(mounted);
  }

  async function listing(snapshotter: Snapshotter, key: string): Promise<string[]> {
    const target = `${root}/list-${key}`;
    mounted.push(...performMounts(await snapshotter.mounts(key), target));
    try {
      return listTree(target, { mtimes: true }).map((line) => line.replace(/ n\d+ /, ' '));
    } finally {
      unmountAll(mounted);
    }
  }

  it('applying the diff onto the parent gives the same tree, and the same change gives the same digest', async () => {
    const snapshotter = make(`${root}/store`);
    const image = imageOf(await richLayers());
    const { chainId } = await unpackImage(image, (layer) => chunked(image.blobs.get(layer.digest)!), snapshotter);
    await changed(snapshotter, 'ctr', chainId!);
    const { blob, result } = await diffToBuffer(snapshotter, 'ctr');
    const names = entryNames(gunzipSync(blob));
    expect(names).toContain('file:etc/.wh.delete-me');
    expect(names).toContain('file:home/.wh.user');
    if (driver === 'overlay') expect(names).toContain('file:opaque/.wh..wh..opq');
    expect(names).toContain('link:srv/app/b->srv/app/a');
    expect(names.filter((name) => name.startsWith('file:srv/app/a'))).toHaveLength(1);

    await snapshotter.prepare('replay', chainId);
    const target = await snapshotter.applyTarget('replay');
    const applied = await applyLayer(chunked(blob), target.root, { whiteouts: target.whiteouts, ...(target.lowerRoots ? { lowerRoots: target.lowerRoots } : {}) });
    expect(applied.diffId).toBe(result.diffId);
    expect(await listing(snapshotter, 'replay')).toEqual(await listing(snapshotter, 'ctr'));

    await changed(snapshotter, 'ctr2', chainId!);
    const fixed = { mtime: 1_700_000_000 };
    const first = await diffToBuffer(snapshotter, 'ctr', fixed);
    const second = await diffToBuffer(snapshotter, 'ctr2', fixed);
    expect(second.result.digest).toBe(first.result.digest);
    expect(second.result.diffId).toBe(first.result.diffId);
    expect(second.blob.equals(first.blob)).toBe(true);
  });
});

describe('diff of a tree without a parent', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir('diff-plain');
  });
  afterEach(() => removeDir(root));

  it('lists every entry in path order, uncompressed when asked', async () => {
    mkdirSync(`${root}/b/c`, { recursive: true });
    writeFileSync(`${root}/a`, 'a');
    writeFileSync(`${root}/b/c/d`, 'd');
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    const result = await writeDiff({ kind: 'tree', tree: root }, sink, { gzip: false });
    expect(result.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    expect(result.digest).toBe(result.diffId);
    expect(entryNames(Buffer.concat(chunks))).toEqual(['file:a', 'directory:b/', 'directory:b/c/', 'file:b/c/d']);
  });
});

describe('a file swapped for a symlink while its layer is written', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('diff-swap');
  });
  afterEach(() => removeDir(dir));

  it.each([
    ['the file itself', (upper: string, outside: string) => {
      unlinkSync(`${upper}/b-secret`);
      symlinkSync(`${outside}/secret`, `${upper}/b-secret`);
    }],
    ['a parent directory', (upper: string, outside: string) => {
      rmSync(`${upper}/c`, { recursive: true });
      symlinkSync(outside, `${upper}/c`);
    }],
  ])('never reads through it (%s): CONFLICT, and the outside file is not in the output', async (_what, swap) => {
    const upper = `${dir}/upper`;
    const outside = `${dir}/outside`;
    mkdirSync(`${upper}/c`, { recursive: true });
    mkdirSync(outside);
    writeFileSync(`${upper}/a-big`, Buffer.alloc(3 << 20, 0x61)); // several chunks: the swap happens mid-stream
    writeFileSync(`${upper}/b-secret`, 'XXXXXXXXXXXXXXXX');
    writeFileSync(`${upper}/c/secret`, 'XXXXXXXXXXXXXXXX');
    writeFileSync(`${outside}/secret`, 'HOST-SECRET-0123'); // same size as what the scan saw
    const written: Buffer[] = [];
    let swapped = false;
    const output = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk);
        if (!swapped) {
          swapped = true;
          swap(upper, outside);
        }
        setImmediate(callback);
      },
    });
    const error = await writeDiff({ kind: 'tree', tree: upper }, output, { gzip: false }).catch((e: unknown) => e);
    expect(swapped).toBe(true);
    expect(isCError(error, 'CONFLICT')).toBe(true);
    expect(Buffer.concat(written).includes('HOST-SECRET')).toBe(false);
  });
});
