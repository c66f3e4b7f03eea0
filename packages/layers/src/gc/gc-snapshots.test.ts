/**
 * GC end to end with the real content store, image store and copy snapshotter: images unpacked with
 * unpackImage, a container snapshot on top of one of them.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Descriptor } from '@c/image';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTar } from '../archive/testing';
import { ContentStore } from '../content/content-store';
import { ImageStore } from '../metadata/image-store';
import { CopySnapshotter } from '../snapshots/copy';
import { unpackImage } from '../snapshots/unpack';
import { GarbageCollector } from './garbage-collector';
import { snapshotCollector } from './snapshot-collector';

const sha256 = (data: Uint8Array | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

let root: string;
let content: ContentStore;
let images: ImageStore;
let snapshotter: CopySnapshotter;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'c-gc-snap-'));
  content = new ContentStore(join(root, 'content'));
  images = new ImageStore(join(root, 'images.json'));
  snapshotter = new CopySnapshotter(join(root, 'snapshots'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Stores an image made of the given tars and unpacks it; returns its ChainIDs. */
async function pullAndUnpack(name: string, tars: Buffer[]): Promise<string[]> {
  const layers: Descriptor[] = [];
  for (const tar of tars) {
    const gz = gzipSync(tar);
    const { digest, size } = await content.writeBlob(gz);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size });
  }
  const diffIds = tars.map((tar) => sha256(tar));
  const config = await content.writeBlob(
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } })),
  );
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers,
    }),
  );
  const manifest = await content.writeBlob(manifestBytes);
  const unpacked = await unpackImage({ layers, diffIds }, (layer) => content.open(layer.digest), snapshotter);
  await images.put({
    name,
    target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest },
    configDigest: config.digest,
  });
  return unpacked.chainIds;
}

async function committedSnapshots(): Promise<string[]> {
  const names: string[] = [];
  await snapshotter.walk((info) => {
    if (info.kind === 'committed') names.push(info.name);
  });
  return names.sort();
}

describe('GC with snapshots', () => {
  it('removes an image’s own snapshots, keeps the shared base and whatever a container runs on', async () => {
    const base = await buildTar([{ name: 'etc/os-release', content: 'ID=test\n' }]);
    const chainA = await pullAndUnpack('r/a:1', [base, await buildTar([{ name: 'a.txt', content: 'a' }])]);
    const chainB = await pullAndUnpack('r/b:1', [base, await buildTar([{ name: 'b.txt', content: 'bb' }])]);
    expect(chainA[0]).toBe(chainB[0]); // one base snapshot for both
    await snapshotter.prepare('ctr-1', chainB[1]);
    const gc = new GarbageCollector({ content, images, collectors: [snapshotCollector(snapshotter)] });

    expect((await gc.usage()).reclaimable.bytes).toBe(0);

    await images.delete('r/a:1');
    const usage = await gc.usage();
    expect(usage.reclaimable.resources[0]?.items.map((item) => item.id)).toEqual([chainA[1]]);
    const result = await gc.collect();
    expect(result.removed).toEqual(usage.reclaimable);
    expect(await committedSnapshots()).toEqual([...chainB].sort());

    // Without its image, B's stack stays while the container is built on it...
    await images.delete('r/b:1');
    const afterB = await gc.collect();
    expect(afterB.removed.resources[0]?.items ?? []).toEqual([]);
    expect(afterB.removed.blobs.length).toBe(4); // manifest, config, two layers
    expect(await committedSnapshots()).toEqual([...chainB].sort());

    // ...and goes once the container is removed, top first.
    await snapshotter.remove('ctr-1');
    const last = await gc.collect();
    expect(last.removed.resources[0]?.items.map((item) => item.id)).toEqual([chainB[1], chainB[0]]);
    expect(await committedSnapshots()).toEqual([]);
    const empty = await gc.usage();
    expect(empty.blobs.count).toBe(0);
    expect(empty.resources).toEqual([{ name: 'snapshots', count: 0, bytes: 0 }]);
  });

  it('usage({ without }) plans exactly what deleting those images and collecting frees, and changes nothing', async () => {
    const base = await buildTar([{ name: 'etc/os-release', content: 'ID=test\n' }]);
    const chainA = await pullAndUnpack('r/a:1', [base, await buildTar([{ name: 'a.txt', content: 'a'.repeat(10_000) }])]);
    await pullAndUnpack('r/b:1', [base, await buildTar([{ name: 'b.txt', content: 'b' }])]);
    const gc = new GarbageCollector({ content, images, collectors: [snapshotCollector(snapshotter)] });
    const whatIf = await gc.usage({ without: (record) => record.name === 'r/a:1' });
    expect(whatIf.reclaimable.resources[0]?.items.map((item) => item.id)).toEqual([chainA[1]]);
    expect(whatIf.reclaimable.blobs).toHaveLength(3); // a's manifest, config and top layer
    // Nothing happened: the image and its snapshot are still there, and nothing is reclaimable as things are.
    expect((await images.get('r/a:1'))?.name).toBe('r/a:1');
    expect((await gc.usage()).reclaimable.bytes).toBe(0);

    await images.delete('r/a:1');
    const result = await gc.collect();
    expect(result.removed.bytes).toBe(whatIf.reclaimable.bytes);
    expect(result.removed.resources).toEqual(whatIf.reclaimable.resources);
  });
});
