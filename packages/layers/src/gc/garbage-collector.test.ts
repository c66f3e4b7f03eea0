import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCError } from '@c/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentStore } from '../content/content-store';
import { ImageStore } from '../metadata/image-store';
import { GarbageCollector } from './garbage-collector';
import type { GcItem, GcLiveSet, GcResourceCollector } from './types';

const sha256 = (bytes: Uint8Array | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

let root: string;
let content: ContentStore;
let images: ImageStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'c-gc-'));
  content = new ContentStore(join(root, 'content'));
  images = new ImageStore(join(root, 'images.json'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

interface BuiltImage {
  manifest: { digest: string; size: number };
  config: string;
  layers: string[];
  diffIds: string[];
  /** Every blob the image consists of. */
  all: string[];
}

/** Stores layers, a config and a manifest as a pull would. Layer bytes double as their "uncompressed" form. */
async function buildImage(layers: Buffer[], arch = 'amd64'): Promise<BuiltImage> {
  const layerDescriptors = [];
  for (const layer of layers) {
    const { digest, size } = await content.writeBlob(layer);
    layerDescriptors.push({ mediaType: OCI_LAYER, digest, size });
  }
  const diffIds = layers.map((layer) => sha256(layer));
  const configBytes = Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } }));
  const config = await content.writeBlob(configBytes);
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.size },
      layers: layerDescriptors,
    }),
  );
  const manifest = await content.writeBlob(manifestBytes);
  const layerDigests = layerDescriptors.map((layer) => layer.digest);
  return { manifest, config: config.digest, layers: layerDigests, diffIds, all: [manifest.digest, config.digest, ...layerDigests] };
}

async function record(name: string, image: BuiltImage, indexDigest?: string) {
  return images.put({
    name,
    target: { mediaType: OCI_MANIFEST, ...image.manifest },
    configDigest: image.config,
    ...(indexDigest ? { indexDigest } : {}),
  });
}

async function blobDigests(): Promise<string[]> {
  const out: string[] = [];
  for await (const blob of content.list()) out.push(blob.digest);
  return out.sort();
}

async function diskBytes(): Promise<number> {
  let total = 0;
  for await (const blob of content.list()) total += blob.size;
  for (const ingest of await content.listIngests()) total += ingest.offset;
  return total;
}

describe('GarbageCollector', () => {
  it('frees exactly what usage() predicted and keeps the layers a second image shares', async () => {
    const base = randomBytes(50_000);
    const a = await buildImage([base, randomBytes(20_000)]);
    const b = await buildImage([base, randomBytes(30_000)]);
    await record('docker.io/library/a:latest', a);
    await record('docker.io/library/b:latest', b);
    await record('docker.io/library/b:alias', b);
    const orphan = await content.writeBlob(randomBytes(1234));

    // A crashed pull (old), an idle recent one, and one being written right now.
    const stale = await content.ingest(sha256('stale'), 100);
    await stale.write(Buffer.alloc(40));
    await stale.close();
    const old = new Date(Date.now() - 2 * 24 * 3600_000);
    await utimes(join(root, 'content/ingest', sha256('stale').slice(7)), old, old);
    await utimes(join(root, 'content/ingest', sha256('stale').slice(7), 'data'), old, old);
    const recent = await content.ingest(sha256('recent'), 100);
    await recent.write(Buffer.alloc(10));
    await recent.close();
    const active = await content.ingest(sha256('active'), 100);
    await active.write(Buffer.alloc(20));

    await images.delete('docker.io/library/a:latest');
    const gc = new GarbageCollector({ content, images });
    const usage = await gc.usage();
    const expectedBlobs = [a.manifest.digest, a.config, a.layers[1] ?? '', orphan.digest].sort();
    expect(usage.reclaimable.blockedBy).toEqual([]);
    expect(usage.reclaimable.blobs.map((blob) => blob.digest).sort()).toEqual(expectedBlobs);
    expect(usage.reclaimable.ingests).toEqual([{ ref: sha256('stale').slice(7), size: 40 }]);
    expect(usage.blobs.count).toBe((await blobDigests()).length);
    expect(usage.liveBlobs.count).toBe(b.all.length);
    expect(usage.ingests).toEqual({ count: 3, bytes: 70 });

    const before = await diskBytes();
    const result = await gc.collect();
    expect(result.removed).toEqual(usage.reclaimable);
    expect(result.skipped).toEqual([]);
    expect(await diskBytes()).toBe(before - usage.reclaimable.bytes);
    expect(await blobDigests()).toEqual([...b.all].sort());
    expect((await content.listIngests()).map((ingest) => ingest.digest).sort()).toEqual(
      [sha256('active'), sha256('recent')].sort(),
    );

    const after = await gc.usage();
    expect(after.reclaimable.blobs).toEqual([]);
    expect(after.reclaimable.bytes).toBe(0);
    await active.abort();
  });

  it('reports per-image sizes with shared and unique bytes', async () => {
    const base = randomBytes(10_000);
    const a = await buildImage([base, randomBytes(1000)]);
    const b = await buildImage([base, randomBytes(2000)]);
    await record('r/a:1', a);
    await record('r/a:2', a);
    await record('r/b:1', b);
    const usage = await new GarbageCollector({ content, images }).usage();
    const size = async (digests: string[]) => {
      let total = 0;
      for (const digest of digests) total += await content.size(digest);
      return total;
    };
    const imageA = usage.images.find((image) => image.id === a.config);
    expect(imageA?.names).toEqual(['r/a:1', 'r/a:2']);
    expect(imageA?.size).toBe(await size(a.all));
    expect(imageA?.sharedSize).toBe(10_000);
    expect(imageA?.uniqueSize).toBe((await size(a.all)) - 10_000);
    expect(usage.images).toHaveLength(2);
  });

  it('a lease protects blobs, including what a leased manifest references', async () => {
    const pulled = await buildImage([randomBytes(3000)]);
    const loose = await content.writeBlob(randomBytes(100));
    await images.acquireLease('pull-1', [pulled.manifest.digest, loose.digest]);
    const gc = new GarbageCollector({ content, images });
    expect((await gc.usage()).reclaimable.blobs).toEqual([]);
    expect((await gc.collect()).removed.blobs).toEqual([]);
    expect(await blobDigests()).toEqual([...pulled.all, loose.digest].sort());

    await images.releaseLease('pull-1');
    const result = await gc.collect();
    expect(result.removed.blobs.map((blob) => blob.digest).sort()).toEqual([...pulled.all, loose.digest].sort());
    expect(await blobDigests()).toEqual([]);
  });

  it('a lease keeps an idle ingest of a leased digest', async () => {
    const digest = sha256('leased-ingest');
    const ingest = await content.ingest(digest, 100);
    await ingest.write(Buffer.alloc(5));
    await ingest.close();
    await images.acquireLease('pull-2', [digest]);
    const gc = new GarbageCollector({ content, images, staleIngestAfterMs: 0 });
    expect((await gc.collect()).removed.ingests).toEqual([]);
    await images.releaseLease('pull-2');
    expect((await gc.collect()).removed.ingests).toEqual([{ ref: digest.slice(7), size: 5 }]);
  });

  it('sweeps an ingest left behind by a blob that got committed', async () => {
    const bytes = randomBytes(100);
    const { digest } = await content.writeBlob(bytes);
    await images.acquireLease('keep', [digest]);
    // What a commit that crashed between its rename and removing the ingest directory leaves.
    const leftover = join(root, 'content/ingest', digest.slice(7));
    await mkdir(leftover, { recursive: true });
    await writeFile(join(leftover, 'ingest.json'), JSON.stringify({ digest, expectedSize: 100, startedAt: new Date().toISOString() }));
    const gc = new GarbageCollector({ content, images, staleIngestAfterMs: 0 });
    expect((await gc.collect()).removed.ingests).toEqual([{ ref: digest.slice(7), size: 0 }]);
    expect(await content.has(digest)).toBe(true);
  });

  it('keeps every manifest of an index and what they reference', async () => {
    const amd = await buildImage([randomBytes(500)], 'amd64');
    const arm = await buildImage([randomBytes(600)], 'arm64');
    const missing = sha256('never pulled');
    const indexBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          { mediaType: OCI_MANIFEST, ...amd.manifest, platform: { architecture: 'amd64', os: 'linux' } },
          { mediaType: OCI_MANIFEST, ...arm.manifest, platform: { architecture: 'arm64', os: 'linux' } },
          { mediaType: OCI_MANIFEST, digest: missing, size: 10, platform: { architecture: 's390x', os: 'linux' } },
        ],
      }),
    );
    const index = await content.writeBlob(indexBytes);
    await record('r/multi:latest', amd, index.digest);
    const extra = await content.writeBlob(randomBytes(10));
    const usage = await new GarbageCollector({ content, images }).usage();
    expect(usage.reclaimable.blobs.map((blob) => blob.digest)).toEqual([extra.digest]);
  });

  it('extra roots keep blobs; malformed extra roots are refused', async () => {
    const kept = await content.writeBlob(randomBytes(10));
    const gone = await content.writeBlob(randomBytes(11));
    const gc = new GarbageCollector({ content, images, extraRoots: () => [kept.digest] });
    expect((await gc.collect()).removed.blobs).toEqual([gone]);
    expect(await blobDigests()).toEqual([kept.digest]);

    const bad = new GarbageCollector({ content, images, extraRoots: async () => ['../../etc'] });
    const error = await bad.usage().catch((caught: unknown) => caught);
    expect(isCError(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('refuses to sweep when a live image cannot be marked completely', async () => {
    const image = await buildImage([randomBytes(100)]);
    const garbage = await content.writeBlob(Buffer.from('{"this is": "not a manifest"}'));
    await images.put({ name: 'r/broken:1', target: { mediaType: OCI_MANIFEST, digest: garbage.digest, size: garbage.size } });
    await record('r/fine:1', image);
    const orphan = await content.writeBlob(randomBytes(50));
    const gc = new GarbageCollector({ content, images });
    const usage = await gc.usage();
    expect(usage.reclaimable.blockedBy).toHaveLength(1);
    expect(usage.reclaimable.blockedBy[0]).toContain('r/broken:1');
    expect(usage.reclaimable.blobs).toEqual([]);
    expect((await gc.collect()).removed.blobs).toEqual([]);
    expect(await content.has(orphan.digest)).toBe(true);
  });

  it('hands live ChainIDs to resource collectors and removes exactly what they planned', async () => {
    const layers = [randomBytes(100), randomBytes(200)];
    const image = await buildImage(layers);
    await record('r/snap:1', image);
    const chain0 = sha256(layers[0] ?? Buffer.alloc(0));
    const chain1 = sha256(`${chain0} ${sha256(layers[1] ?? Buffer.alloc(0))}`);
    const snapshots = new Map<string, number>([
      [chain0, 1000],
      [chain1, 2000],
      [sha256('old chain'), 5000],
    ]);
    const seen: GcLiveSet[] = [];
    const snapshotCollector: GcResourceCollector = {
      name: 'snapshots',
      async plan(live) {
        seen.push(live);
        return [...snapshots].filter(([id]) => !live.chainIds.has(id)).map(([id, size]) => ({ id, size }));
      },
      async remove(items: readonly GcItem[]) {
        for (const item of items) snapshots.delete(item.id);
        return [...items];
      },
      async total() {
        return { count: snapshots.size, bytes: [...snapshots.values()].reduce((a, b) => a + b, 0) };
      },
    };
    const gc = new GarbageCollector({ content, images, collectors: [snapshotCollector] });
    const usage = await gc.usage();
    expect([...(seen[0]?.chainIds ?? [])].sort()).toEqual([chain0, chain1].sort());
    expect(usage.resources).toEqual([{ name: 'snapshots', count: 3, bytes: 8000 }]);
    expect(usage.reclaimable.resources).toEqual([{ name: 'snapshots', items: [{ id: sha256('old chain'), size: 5000 }] }]);
    expect(usage.reclaimable.bytes).toBe(5000);
    const result = await gc.collect();
    expect(result.removed).toEqual(usage.reclaimable);
    expect([...snapshots.keys()].sort()).toEqual([chain0, chain1].sort());
  });

  it('holds the image store lock while it runs, so a lease cannot slip between mark and sweep', async () => {
    const blob = await content.writeBlob(randomBytes(10));
    let leaseTaken = false;
    let late: Promise<unknown> | undefined;
    const gc = new GarbageCollector({
      content,
      images,
      // Called during marking: a lease requested now must wait for the sweep to finish.
      extraRoots: async () => {
        late = images.acquireLease('late', [blob.digest]).then(() => (leaseTaken = true));
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(leaseTaken).toBe(false);
        return [];
      },
    });
    expect((await gc.collect()).removed.blobs).toEqual([blob]);
    // Awaited, not polled against a 5 s deadline: the lease's write (two fsyncs) has no time bound on a busy disk.
    await late;
    expect(leaseTaken).toBe(true);
  });
});
