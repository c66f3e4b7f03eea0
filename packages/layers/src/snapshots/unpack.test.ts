import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { buildTar, chunked, isRoot, listTree, removeDir, tempDir, withoutWhiteoutTimes } from '../archive/testing';
import { CopySnapshotter } from './copy';
import { type TestImage, busyboxLayer, imageOf, largeRichLayers, richLayers, writeOciLayout } from './fixtures';
import { OverlaySnapshotter } from './overlay';
import { performMounts, unmountAll } from './testing';
import type { Snapshotter } from './types';
import { SNAPSHOT_SIZE_LABEL } from './labels';
import { WORKER_APPLY_FROM, removeAbandonedUnpacks, unpackImage } from './unpack';
import { APPLY_WORKER_ENV } from '../archive/apply-in-worker';

const opener = (image: TestImage) => (layer: { digest: string }) => chunked(image.blobs.get(layer.digest)!, 16_384);

async function committedCount(snapshotter: Snapshotter): Promise<number> {
  let count = 0;
  await snapshotter.walk((info) => {
    if (info.kind === 'committed') count++;
  });
  return count;
}

describe('unpackImage', () => {
  let root: string;
  const mounted: string[] = [];
  beforeEach(() => {
    root = tempDir('unpack');
  });
  afterEach(() => {
    unmountAll(mounted);
    removeDir(root);
  });

  it('names snapshots by ChainID and unpacks a shared base once', async () => {
    const [l1, l2, l3] = await richLayers();
    const imageA = imageOf([l1!, l2!]);
    const imageB = imageOf([l1!, l2!, l3!]);
    const snapshotter = new CopySnapshotter(`${root}/store`);
    const a = await unpackImage(imageA, opener(imageA), snapshotter);
    expect(a.applied).toHaveLength(2);
    expect(a.chainIds[0]).toBe(imageA.diffIds[0]);
    const b = await unpackImage(imageB, opener(imageB), snapshotter);
    expect(b).toMatchObject({ reused: 2 });
    expect(b.applied).toHaveLength(1);
    expect(b.chainIds.slice(0, 2)).toEqual(a.chainIds);
    expect(await committedCount(snapshotter)).toBe(3);
    const again = await unpackImage(imageB, opener(imageB), snapshotter);
    expect(again).toMatchObject({ reused: 3, applied: [] });
  });

  it('reports each layer (extracting → applied, or reused) and labels commits with their measured size', async () => {
    const [l1, l2, l3] = await richLayers();
    const imageA = imageOf([l1!, l2!]);
    const imageB = imageOf([l1!, l2!, l3!]);
    const snapshotter = new CopySnapshotter(`${root}/store`);
    await unpackImage(imageA, opener(imageA), snapshotter);
    const events: string[] = [];
    await unpackImage(imageB, opener(imageB), snapshotter, { onLayer: (e) => events.push(`${e.index}:${e.state}:${e.chainId === imageB.diffIds[0] || e.index > 0}`) });
    expect(events).toEqual(['0:reused:true', '1:reused:true', '2:extracting:true', '2:applied:true']);
    const top = (await unpackImage(imageB, opener(imageB), snapshotter)).chainId!;
    const info = await snapshotter.stat(top);
    const measured = (await snapshotter.usage(top)).size;
    expect(measured).toBeGreaterThan(0);
    expect(info.labels[SNAPSHOT_SIZE_LABEL]).toBe(String(measured));
  });

  it('recognises an unpacked stack by its top snapshot alone (one lookup, every layer reported reused)', async () => {
    const layers = await richLayers();
    const image = imageOf(layers);
    const snapshotter = new CopySnapshotter(`${root}/store`);
    await unpackImage(image, opener(image), snapshotter);
    const looked: string[] = [];
    const stat = snapshotter.stat.bind(snapshotter);
    snapshotter.stat = (key) => (looked.push(key), stat(key));
    const events: string[] = [];
    const again = await unpackImage(image, opener(image), snapshotter, { onLayer: (e) => events.push(`${e.index}:${e.state}`) });
    expect(again).toMatchObject({ reused: layers.length, applied: [], chainId: again.chainIds.at(-1) });
    expect(looked).toEqual([again.chainId]);
    expect(events).toEqual(layers.map((_, i) => `${i}:reused`));
  });

  it('removes the half-applied snapshot when a blob does not match its digest', async () => {
    const [l1] = await richLayers();
    const image = imageOf([l1!]);
    const snapshotter = new CopySnapshotter(`${root}/store`);
    const tampered = { ...image, layers: [{ ...image.layers[0]!, digest: `sha256:${'0'.repeat(64)}` }] };
    const error = await unpackImage(tampered, () => chunked(image.blobs.get(image.layers[0]!.digest)!), snapshotter).catch((e: unknown) => e);
    expect(isCError(error, 'DIGEST_MISMATCH')).toBe(true);
    const left: string[] = [];
    await snapshotter.walk((info) => void left.push(info.name));
    expect(left).toEqual([]);
  });

  it('with blobsVerified skips the blob digest but still refuses a blob whose content is not the DiffID', async () => {
    const [l1, l2] = await richLayers();
    const image = imageOf([l1!]);
    const snapshotter = new CopySnapshotter(`${root}/store`);
    // The descriptor's digest is not checked again (the store did it at commit)…
    const renamed = { ...image, layers: [{ ...image.layers[0]!, digest: `sha256:${'0'.repeat(64)}` }] };
    const applied = await unpackImage(renamed, () => chunked(image.blobs.get(image.layers[0]!.digest)!), snapshotter, { blobsVerified: true });
    expect(applied.applied[0]).toMatchObject({ diffId: image.diffIds[0] });
    expect(applied.applied[0]!.compressedDigest).toBeUndefined();
    // …but other bytes behind it fail on the DiffID and leave nothing behind.
    const other = imageOf([l2!]);
    const store = new CopySnapshotter(`${root}/store-2`);
    const error = await unpackImage(image, () => chunked(other.blobs.get(other.layers[0]!.digest)!), store, { blobsVerified: true }).catch((e: unknown) => e);
    expect(isCError(error, 'DIGEST_MISMATCH')).toBe(true);
    const left: string[] = [];
    await store.walk((info) => void left.push(info.name));
    expect(left).toEqual([]);
  });

  it('removes unpack snapshots whose process died, and only those', async () => {
    const snapshotter = new CopySnapshotter(`${root}/store`);
    await snapshotter.prepare('extract-dead-x', undefined, { labels: { 'c.unpack.pid': '999999999' } });
    await snapshotter.prepare('extract-live-x', undefined, { labels: { 'c.unpack.pid': String(process.pid) } });
    // A live pid that an earlier process used: its start time differs, so the snapshot is abandoned.
    await snapshotter.prepare('extract-reused-x', undefined, { labels: { 'c.unpack.pid': String(process.pid), 'c.unpack.pid-start': '1' } });
    await snapshotter.prepare('container', undefined);
    expect((await removeAbandonedUnpacks(snapshotter)).sort()).toEqual(['extract-dead-x', 'extract-reused-x']);
    const left: string[] = [];
    await snapshotter.walk((info) => void left.push(info.name));
    expect(left).toEqual(['container', 'extract-live-x']);
  });

  it.skipIf(!isRoot)('shares the base on disk with overlay (two images, one base)', async () => {
    const [l1, l2, l3] = await richLayers();
    const base = await busyboxLayer();
    const imageA = imageOf([base, l1!]);
    const imageB = imageOf([base, l2!, l3!].map((x) => x!));
    const snapshotter = new OverlaySnapshotter(`${root}/store`);
    await unpackImage(imageA, opener(imageA), snapshotter);
    const b = await unpackImage(imageB, opener(imageB), snapshotter);
    expect(b.reused).toBe(1);
    expect(await committedCount(snapshotter)).toBe(4);
    const baseUsage = await snapshotter.usage(b.chainIds[0]!);
    let total = 0;
    await snapshotter.walk(async (info) => {
      total += (await snapshotter.usage(info.name)).size;
    });
    // busybox (~2 MB) stored once: the store is well under two copies of it.
    expect(baseUsage.size).toBeGreaterThan(1_900_000);
    expect(total).toBeLessThan(baseUsage.size * 1.5);
  });
});

/** Each committed layer's own directory (an overlay upper dir), listed: found as the lower dir of a snapshot on it. */
async function layerListings(snapshotter: OverlaySnapshotter, chainIds: readonly string[]): Promise<string[][]> {
  const listings: string[][] = [];
  for (const [i, chainId] of chainIds.entries()) {
    await snapshotter.prepare(`probe-${i}`, chainId);
    listings.push(withoutWhiteoutTimes(listTree((await snapshotter.applyTarget(`probe-${i}`)).lowerRoots![0]!, { mtimes: true })));
    await snapshotter.remove(`probe-${i}`);
  }
  return listings;
}

/** A committed layer's own directory. */
async function layerRoot(snapshotter: OverlaySnapshotter, chainId: string): Promise<string> {
  const key = `root-probe-${chainId.slice(7, 19)}`;
  await snapshotter.prepare(key, chainId);
  const root = (await snapshotter.applyTarget(key)).lowerRoots![0]!;
  await snapshotter.remove(key);
  return root;
}

async function activeSnapshots(snapshotter: Snapshotter): Promise<string[]> {
  const keys: string[] = [];
  await snapshotter.walk((info) => {
    if (info.kind === 'active') keys.push(info.name);
  });
  return keys;
}

describe('unpackImage on worker threads (overlay, large layers)', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir('unpack-parallel');
  });
  afterEach(() => removeDir(root));

  const bulk = WORKER_APPLY_FROM + 64 * 1024;

  it('extracts the layers at once and commits the same snapshots as one after the other', async () => {
    const image = imageOf(await largeRichLayers(bulk));
    const events: string[] = [];
    const parallel = new OverlaySnapshotter(`${root}/parallel`);
    const result = await unpackImage(image, opener(image), parallel, { parallelism: 4, onLayer: (e) => events.push(`${e.index}:${e.state}`) });
    expect(result.applied).toHaveLength(4);
    // Layers 1-3 started before layer 0 was committed: they ran at once.
    expect(events.indexOf('2:extracting')).toBeLessThan(events.indexOf('0:applied'));
    // Layer 3 hard-links to a file of layer 1: extracted again once the layers below were committed.
    expect(events.filter((e) => e === '3:extracting')).toHaveLength(2);
    expect(events.filter((e) => e.endsWith(':applied'))).toEqual(['0:applied', '1:applied', '2:applied', '3:applied']);
    expect(await activeSnapshots(parallel)).toEqual([]);

    const sequential = new OverlaySnapshotter(`${root}/sequential`);
    const one = await unpackImage(image, opener(image), sequential, { parallelism: 1 });
    expect(one.chainIds).toEqual(result.chainIds);
    expect(await layerListings(parallel, result.chainIds)).toEqual(await layerListings(sequential, one.chainIds));
    // The implicit directories of layer 2 took layer 0's attributes (home/user: 0700, uid 1000 as root), times included.
    const third = (await layerListings(parallel, result.chainIds))[2]!;
    expect(third.find((line) => line.startsWith('home/user '))).toMatch(isRoot ? /^home\/user d 700 1000:1000 / : /^home\/user d 700 /);
    const [layer0, layer2] = [await layerRoot(parallel, result.chainIds[0]!), await layerRoot(parallel, result.chainIds[2]!)];
    expect(lstatSync(`${layer2}/home/user`).mtimeMs).toBe(lstatSync(`${layer0}/home/user`).mtimeMs);
  }, 60_000);

  it('applies the layers one after the other when the worker cannot run', async () => {
    const image = imageOf(await largeRichLayers(bulk));
    const saved = process.env[APPLY_WORKER_ENV];
    const events: string[] = [];
    const snapshotter = new OverlaySnapshotter(`${root}/store`);
    try {
      process.env[APPLY_WORKER_ENV] = `${root}/missing-worker.cjs`;
      const result = await unpackImage(image, opener(image), snapshotter, { parallelism: 4, onLayer: (e) => events.push(`${e.index}:${e.state}`) });
      expect(result.applied).toHaveLength(4);
    } finally {
      if (saved === undefined) delete process.env[APPLY_WORKER_ENV];
      else process.env[APPLY_WORKER_ENV] = saved;
    }
    expect(events.filter((e) => e.endsWith(':applied'))).toEqual(['0:applied', '1:applied', '2:applied', '3:applied']);
    expect(await activeSnapshots(snapshotter)).toEqual([]);
    const sequential = new OverlaySnapshotter(`${root}/sequential`);
    await unpackImage(image, opener(image), sequential, { parallelism: 1 });
    const chainIds = (await unpackImage(image, opener(image), snapshotter)).chainIds;
    expect(await layerListings(snapshotter, chainIds)).toEqual(await layerListings(sequential, chainIds));
  }, 60_000);

  it('stops every layer and leaves no active snapshot when one layer fails', async () => {
    const image = imageOf(await largeRichLayers(bulk));
    image.diffIds[1] = `sha256:${'0'.repeat(64)}`;
    const snapshotter = new OverlaySnapshotter(`${root}/store`);
    const error = await unpackImage(image, opener(image), snapshotter).catch((e: unknown) => e);
    expect(isCError(error, 'DIGEST_MISMATCH')).toBe(true);
    expect(await activeSnapshots(snapshotter)).toEqual([]);
    expect(await committedCount(snapshotter)).toBe(1);
  }, 60_000);
});

/**
 * Listing lines for the merged overlay view, without the link count: a lower layer's file keeps its lower
 * inode's count there (layer 1's hard link partner, replaced in layer 2, still counts), as with docker's
 * overlay2.
 */
const withoutLinkCount = (lines: string[]) => lines.map((line) => line.replace(/ n\d+ /, ' '));

describe.skipIf(!isRoot)('unpacked trees equal umoci unpack', () => {
  let root: string;
  const mounted: string[] = [];
  beforeEach(() => {
    root = tempDir('umoci');
  });
  afterEach(() => {
    unmountAll(mounted);
    removeDir(root);
  });

  async function compare(image: TestImage): Promise<void> {
    writeOciLayout(`${root}/layout`, image);
    execFileSync('umoci', ['unpack', '--image', `${root}/layout:latest`, `${root}/bundle`], { stdio: 'pipe' });
    expect(existsSync(`${root}/bundle/rootfs`)).toBe(true);
    const expected = listTree(`${root}/bundle/rootfs`, { mtimes: true });
    expect(expected.length).toBeGreaterThan(5);

    const copy = new CopySnapshotter(`${root}/copy`);
    const copied = await unpackImage(image, opener(image), copy);
    await copy.prepare('ctr', copied.chainId);
    const copyTree = await copy.applyTarget('ctr');
    expect(listTree(copyTree.root, { mtimes: true })).toEqual(expected);

    const overlay = new OverlaySnapshotter(`${root}/overlay`);
    const layered = await unpackImage(image, opener(image), overlay);
    const mounts = await overlay.view('ctr', layered.chainId);
    mounted.push(...performMounts(mounts, `${root}/merged`));
    expect(withoutLinkCount(listTree(`${root}/merged`, { mtimes: true }))).toEqual(withoutLinkCount(expected));
  }

  it('for a busybox-like image', async () => {
    await compare(imageOf([await busyboxLayer()]));
  });

  it('for a three-layer image with deletions, opaque dirs, hard links, symlinks, devices and xattrs', async () => {
    await compare(imageOf(await richLayers()));
  });

  it('for the same layers made large enough to be extracted at once on worker threads', async () => {
    await compare(imageOf(await largeRichLayers(WORKER_APPLY_FROM + 64 * 1024)));
  }, 60_000);

  it('for layers that hard-link to files of lower layers (copied up on overlay)', async () => {
    const first = await buildTar([
      { name: 'usr/', type: 'directory' },
      { name: 'usr/bin/', type: 'directory' },
      { name: 'usr/bin/tool', content: 'tool v1', mode: 0o4755, pax: { 'SCHILY.xattr.user.origin': 'layer1' } },
      { name: 'bin', type: 'symlink', linkname: 'usr/bin' },
      { name: 'etc/', type: 'directory' },
      { name: 'etc/hidden', content: 'gone later' },
    ]);
    const second = await buildTar([
      { name: 'usr/bin/tool-link', type: 'link', linkname: 'usr/bin/tool' },
      { name: 'usr/local/bin/alias', type: 'link', linkname: 'usr/bin/tool' },
      { name: 'etc/other', content: 'other' },
    ]);
    const third = await buildTar([{ name: 'opt/again', type: 'link', linkname: 'usr/bin/tool-link' }]);
    await compare(imageOf([first, second, third]));
  });
});
