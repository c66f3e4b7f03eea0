/**
 * The image service over a real store (content store, image store, overlay snapshots, GC) with an in-memory
 * registry: pull unpacks, sizes, image mounts, df and prune, checked against the disk (du and stat).
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { chainIds, parseReference, type Descriptor } from '@c/image';
import { createSnapshotter, storeLayout, type Snapshotter } from '@c/layers';
import { createImageService } from './create';
import type { ImageService } from './image-service';
import { FakeRegistry } from './test-fakes';
import type { RegistryPort } from './ports';
import type { TransferEvent } from './types';
import { unpackLayers } from './unpack';

const isRoot = process.getuid?.() === 0;
const GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

let work: string;
let root: string;
let registry: FakeRegistry;
let service: ImageService;
let snapshotter: Snapshotter;

interface Layer {
  descriptor: Descriptor;
  diffId: string;
}

/** A gzip layer of the given files (random bytes of the given sizes, so compression cannot hide them). */
function layerOf(files: Record<string, number | string>): Layer {
  const dir = mkdtempSync(join(work, 'layer-'));
  for (const [path, body] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), typeof body === 'number' ? randomBytes(body) : body);
  }
  const tar = execFileSync('tar', ['--sort=name', '--mtime=@1704067200', '--owner=0', '--group=0', '-C', dir, '-c', '.'], { maxBuffer: 1 << 28 });
  const gz = gzipSync(tar);
  return { descriptor: registry.store.putBytes(GZIP_LAYER, gz), diffId: sha256(tar) };
}

/** Publishes an image of `layers` as `name` in the fake registry. */
function publish(name: string, layers: Layer[]): { id: string } {
  const config = registry.store.putJson('application/vnd.oci.image.config.v1+json', {
    architecture: 'amd64',
    os: 'linux',
    created: '2026-01-01T00:00:00Z',
    config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  });
  const manifest = registry.store.putJson('application/vnd.oci.image.manifest.v1+json', {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config,
    layers: layers.map((l) => l.descriptor),
  });
  registry.tag(parseReference(name), manifest.digest);
  return { id: config.digest };
}

/** What the store holds on disk, measured independently of the engine: blob sizes (stat) + snapshot dirs (du). */
function diskBytes(): number {
  const layout = storeLayout(root);
  const blobDir = join(layout.content, 'blobs', 'sha256');
  let bytes = 0;
  if (existsSync(blobDir)) for (const name of readdirSync(blobDir)) bytes += statSync(join(blobDir, name)).size;
  const snapshotDirs = join(layout.snapshots, 'snapshots');
  const fsDirs = existsSync(snapshotDirs) ? readdirSync(snapshotDirs).map((id) => join(snapshotDirs, id, 'fs')).filter((p) => existsSync(p)) : [];
  if (fsDirs.length > 0) {
    // One du over all dirs counts a hard-linked inode once, as the engine does.
    const out = execFileSync('du', ['-s', '-B1', '--', ...fsDirs], { encoding: 'utf8' });
    for (const line of out.trim().split('\n')) bytes += Number(line.split('\t')[0]);
  }
  return bytes;
}

async function committedNames(): Promise<string[]> {
  const names: string[] = [];
  await snapshotter.walk((info) => {
    if (info.kind === 'committed') names.push(info.name);
  });
  return names.sort();
}

beforeEach(async () => {
  work = mkdtempSync(join(tmpdir(), 'c-engine-unpacked-'));
  root = join(work, 'root');
  registry = new FakeRegistry();
  service = createImageService({ root, registry });
  snapshotter = await createSnapshotter(storeLayout(root).snapshots);
});

afterEach(async () => {
  // Unmount whatever a failed test left mounted before deleting the tree.
  for (const mount of await service.mounted().catch(() => [])) await service.unmount(mount.id, { all: true }).catch(() => undefined);
  const mounts = join(root, 'mounts');
  if (existsSync(mounts)) {
    for (const name of readdirSync(mounts)) {
      try {
        execFileSync('umount', ['-l', join(mounts, name)], { stdio: 'ignore' });
      } catch {
        // not a mount point (mounts.json, the lock file)
      }
    }
  }
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('pull unpacks (real store, overlay snapshots)', () => {
  it('commits one snapshot per ChainID, reports Extracting / Pull complete, and sizes images by their unpacked layers', async () => {
    const base = layerOf({ 'bin/tool': 200_000, 'etc/os-release': 'ID=test\n' });
    const top = layerOf({ 'app/data': 50_000 });
    const { id } = publish('127.0.0.1:5000/app:1', [base, top]);
    const events: TransferEvent[] = [];
    const pulled = await service.pull('127.0.0.1:5000/app:1', { onProgress: (event) => events.push(event) });
    expect(pulled.id).toBe(id);

    const chain = chainIds([base.diffId, top.diffId]);
    expect(await committedNames()).toEqual([...chain].sort());
    for (const layer of [base, top]) {
      const short = layer.descriptor.digest.slice(7, 19);
      const statuses = events.filter((e) => e.id === short && e.kind === 'layer').map((e) => e.status);
      expect(statuses).toEqual(expect.arrayContaining(['Extracting', 'Pull complete']));
      expect(statuses.indexOf('Extracting')).toBeLessThan(statuses.indexOf('Pull complete'));
    }

    const unpacked = (await snapshotter.usage(chain[0]!)).size + (await snapshotter.usage(chain[1]!)).size;
    const [row] = await service.list();
    expect(row?.size).toBe(unpacked);
    expect(row?.size).toBeGreaterThanOrEqual(250_000);
    expect((await service.inspect('127.0.0.1:5000/app:1')).Size).toBe(unpacked);
  });

  it('unpacks a shared base once: the second image applies only its own layer, and create-time unpack is a no-op', async () => {
    const base = layerOf({ 'bin/tool': 300_000 });
    publish('127.0.0.1:5000/a:1', [base, layerOf({ 'a.txt': 'a' })]);
    const b = layerOf({ 'b.txt': 'b' });
    publish('127.0.0.1:5000/b:1', [base, b]);
    await service.pull('127.0.0.1:5000/a:1');
    const before = diskBytes();
    const events: TransferEvent[] = [];
    await service.pull('127.0.0.1:5000/b:1', { onProgress: (event) => events.push(event) });
    expect(events.filter((e) => e.status === 'Extracting').map((e) => e.digest)).toEqual([b.descriptor.digest]);
    expect(await committedNames()).toHaveLength(3);
    // Only b's blob and snapshot (and the documents) were added: far less than the 300 kB base.
    expect(diskBytes() - before).toBeLessThan(100_000);

    const again = await unpackLayers({ layers: [base.descriptor, b.descriptor], diffIds: [base.diffId, b.diffId] }, () => {
      throw new Error('no layer may be opened: every snapshot exists');
    }, snapshotter);
    expect(again.applied).toHaveLength(0);
    expect(again.reused).toBe(2);
  });
});

describe.skipIf(!isRoot)('image mount', () => {
  it('mounts a read-only merged rootfs under <root>/mounts/<id>, counts users, and the last unmount removes the view', async () => {
    publish('127.0.0.1:5000/m:1', [layerOf({ 'etc/base': 'from base\n', 'etc/gone': 'x' }), layerOf({ 'etc/top': 'from top\n' })]);
    const { id } = await service.pull('127.0.0.1:5000/m:1');
    const first = await service.mount('127.0.0.1:5000/m:1');
    expect(first.path).toBe(join(root, 'mounts', id.slice(7)));
    expect(readFileSync(join(first.path, 'etc/base'), 'utf8')).toBe('from base\n');
    expect(readFileSync(join(first.path, 'etc/top'), 'utf8')).toBe('from top\n');
    let writeError: unknown;
    try {
      writeFileSync(join(first.path, 'etc/new'), 'x');
    } catch (error) {
      writeError = error;
    }
    expect((writeError as NodeJS.ErrnoException | undefined)?.code).toBe('EROFS');

    const second = await service.mount(id.slice(7, 19));
    expect(second).toEqual({ id, path: first.path, count: 2 });
    expect((await service.mounted()).map((m) => ({ names: m.names, count: m.count }))).toEqual([{ names: ['127.0.0.1:5000/m:1'], count: 2 }]);

    expect((await service.unmount('127.0.0.1:5000/m:1')).count).toBe(1);
    expect(readFileSync(join(first.path, 'etc/top'), 'utf8')).toBe('from top\n');
    expect((await service.unmount('127.0.0.1:5000/m:1')).count).toBe(0);
    expect(existsSync(first.path)).toBe(false);
    const views: string[] = [];
    await snapshotter.walk((info) => void (info.kind !== 'committed' && views.push(info.name)));
    expect(views).toEqual([]);
    expect(await service.mounted()).toEqual([]);
    const notMounted = await service.unmount('127.0.0.1:5000/m:1').catch((error: unknown) => error);
    expect(isCError(notMounted, 'NOT_FOUND')).toBe(true);
  });
});

describe.skipIf(!isRoot)('df and prune', () => {
  it('df reclaimable is exactly what prune -a frees on disk; images held by a container or a mount stay', async () => {
    const base = layerOf({ 'bin/tool': 400_000 });
    publish('127.0.0.1:5000/kept:1', [base, layerOf({ 'k': 60_000 })]);
    publish('127.0.0.1:5000/mounted:1', [layerOf({ 'm': 70_000 })]);
    publish('127.0.0.1:5000/gone:1', [base, layerOf({ 'g': 80_000 })]);
    const kept = await service.pull('127.0.0.1:5000/kept:1');
    await service.pull('127.0.0.1:5000/mounted:1');
    await service.pull('127.0.0.1:5000/gone:1');
    await service.mount('127.0.0.1:5000/mounted:1');
    // A container's rootfs as ContainerService makes it: an active snapshot labelled with its image.
    const keptConfig = JSON.parse(readFileSync(join(storeLayout(root).content, 'blobs', 'sha256', kept.id.slice(7)), 'utf8')) as { rootfs: { diff_ids: string[] } };
    await snapshotter.prepare('container-x', chainIds(keptConfig.rootfs.diff_ids).at(-1), { labels: { 'c.container.id': 'x', 'c.image.id': kept.id } });
    writeFileSync(join((await snapshotter.applyTarget('container-x')).root, 'scratch'), randomBytes(30_000));

    const df = await service.df();
    expect(df.totals.images.count).toBe(3);
    expect(df.totals.images.active).toBe(2);
    expect(df.containers.map((c) => c.id)).toEqual(['x']);
    expect(df.containers[0]!.size).toBeGreaterThanOrEqual(30_000);
    const gone = df.images.find((image) => image.names.includes('127.0.0.1:5000/gone:1'));
    expect(gone?.sharedSize).toBeGreaterThanOrEqual(400_000);
    expect(df.totals.images.reclaimable).toBe(gone?.uniqueSize);

    const before = diskBytes();
    const pruned = await service.prune({ all: true });
    const freed = before - diskBytes();
    expect(pruned.SpaceReclaimed).toBe(df.totals.images.reclaimable);
    expect(freed).toBe(pruned.SpaceReclaimed);
    expect(pruned.ImagesDeleted).toEqual([{ Untagged: '127.0.0.1:5000/gone:1' }, { Deleted: gone?.id }]);
    expect((await service.list()).map((row) => row.name).sort()).toEqual(['127.0.0.1:5000/kept:1', '127.0.0.1:5000/mounted:1']);

    // Nothing is left to reclaim; prune without -a frees nothing.
    expect((await service.df()).unreferenced).toBe(0);
    expect((await service.prune()).SpaceReclaimed).toBe(0);
    await snapshotter.remove('container-x');
  });

  it('removing one of two images on a shared base frees exactly its own layers (its df uniqueSize)', async () => {
    const base = layerOf({ 'bin/tool': 500_000 });
    publish('127.0.0.1:5000/one:1', [base, layerOf({ 'one': 40_000 })]);
    publish('127.0.0.1:5000/two:1', [base, layerOf({ 'two': 90_000 })]);
    await service.pull('127.0.0.1:5000/one:1');
    await service.pull('127.0.0.1:5000/two:1');
    const two = (await service.df()).images.find((image) => image.names.includes('127.0.0.1:5000/two:1'))!;
    expect(two.uniqueSize).toBeGreaterThanOrEqual(180_000); // blob + unpacked copy of the 90 kB file
    expect(two.uniqueSize).toBeLessThan(300_000); // the base is not its own
    const before = diskBytes();
    await service.remove('127.0.0.1:5000/two:1');
    expect(before - diskBytes()).toBe(two.uniqueSize);
    expect(await committedNames()).toHaveLength(2);
  });

  it('collects garbage only after beforeCollect settles (a daemon: removed containers\' rootfs deletions)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const calls: string[] = [];
    let reached!: () => void;
    const collectAsked = new Promise<void>((resolve) => (reached = resolve));
    const gated = createImageService({ root, registry, beforeCollect: () => (calls.push('beforeCollect'), reached(), gate) });
    publish('127.0.0.1:5000/gated:1', [layerOf({ 'gated': 30_000 })]);
    await gated.pull('127.0.0.1:5000/gated:1');
    let removed = false;
    const removing = gated.remove('127.0.0.1:5000/gated:1').then(() => (removed = true));
    // The untag is made durable (an fsync) first: a fixed 50 ms wait was outrun on a loaded machine (1 in 40, load 16).
    await collectAsked;
    // A collection that did not wait for the gate has this long to run.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toEqual(['beforeCollect']);
    expect(removed).toBe(false);
    expect(await committedNames()).toHaveLength(1);
    release();
    await removing;
    expect(await committedNames()).toEqual([]);
  });

  it('prune without -a frees only what no name references (an image whose tag moved on)', async () => {
    publish('127.0.0.1:5000/moving:1', [layerOf({ 'v1': 120_000 })]);
    await service.pull('127.0.0.1:5000/moving:1');
    publish('127.0.0.1:5000/moving:1', [layerOf({ 'v2': 10_000 })]);
    await service.pull('127.0.0.1:5000/moving:1');
    const df = await service.df();
    expect(df.unreferenced).toBeGreaterThanOrEqual(240_000);
    const before = diskBytes();
    const pruned = await service.prune();
    expect(pruned.ImagesDeleted).toEqual([]);
    expect(pruned.SpaceReclaimed).toBe(df.unreferenced);
    expect(before - diskBytes()).toBe(df.unreferenced);
    expect((await service.list()).map((row) => row.name)).toEqual(['127.0.0.1:5000/moving:1']);
  });
});

/** A registry that sends the real client's events (kinds, digests) and lets the test pace each layer's arrival. */
function pacedRegistry(source: FakeRegistry, beforeLayer: (index: number) => Promise<void>): RegistryPort {
  return {
    async pull(ref, sink, options) {
      const rootDigest = source.tags.get(`${ref.registry}/${ref.repository}:${ref.tag ?? 'latest'}`)!;
      const store = source.store;
      const put = async (digest: string) => {
        const bytes = Buffer.from(await store.read(digest));
        const ingest = await sink.ingest(digest, bytes.length);
        await ingest.write(bytes);
        await ingest.commit();
      };
      const manifest = JSON.parse(Buffer.from(await store.read(rootDigest)).toString()) as { config: Descriptor; layers: Descriptor[] };
      await put(rootDigest);
      options.onProgress?.({ id: rootDigest.slice(7, 19), digest: rootDigest, kind: 'manifest', status: 'done' });
      await put(manifest.config.digest);
      options.onProgress?.({ id: manifest.config.digest.slice(7, 19), digest: manifest.config.digest, kind: 'config', status: 'done' });
      for (const [index, layer] of manifest.layers.entries()) {
        await beforeLayer(index);
        await put(layer.digest);
        options.onProgress?.({ id: layer.digest.slice(7, 19), digest: layer.digest, kind: 'layer', status: 'done', current: layer.size, total: layer.size });
      }
      return { manifestDigest: rootDigest, configDigest: manifest.config.digest, manifest };
    },
    push: () => Promise.reject(new Error('not used')),
    login: () => Promise.reject(new Error('not used')),
  };
}

describe.skipIf(!isRoot)('download and unpack overlap', () => {
  it('applies layer 0 while layer 1 is still downloading, never before its blob is stored', async () => {
    const l0 = layerOf({ 'bin/zero': 100_000 });
    const l1 = layerOf({ 'bin/one': 100_000 });
    publish('127.0.0.1:5000/paced:1', [l0, l1]);
    const log: string[] = [];
    let extracted0: () => void = () => undefined;
    const sawExtract0 = new Promise<void>((resolve) => (extracted0 = resolve));
    const paced = createImageService({
      root,
      registry: pacedRegistry(registry, async (index) => {
        log.push(`arrive ${index}`);
        if (index === 1) {
          // The timeout only ends the wait of a pull that does not overlap (the order below then fails it).
          await Promise.race([sawExtract0, new Promise((r) => setTimeout(r, 10_000))]);
          log.push('release 1');
        }
      }),
    });
    await paced.pull('127.0.0.1:5000/paced:1', {
      onProgress: (event) => {
        if (event.status === 'Extracting' || event.status === 'Pull complete') {
          const index = event.digest === l0.descriptor.digest ? 0 : 1;
          log.push(`${event.status} ${index}`);
          if (index === 0 && event.status === 'Pull complete') extracted0();
        }
      },
    });
    // Layer 0 was applied while layer 1 was held back (the registry waited for it), and each layer only after
    // its blob was stored.
    // ('arrive 1', when the registry starts waiting, may come before or after layer 0's Extracting.)
    expect(log.filter((line) => line !== 'arrive 1')).toEqual(['arrive 0', 'Extracting 0', 'Pull complete 0', 'release 1', 'Extracting 1', 'Pull complete 1']);
    expect(await committedNames()).toEqual([...chainIds([l0.diffId, l1.diffId])].sort());
  });

  it('a download that fails mid-way stops the unpack and leaves no half-applied snapshot', async () => {
    const l0 = layerOf({ 'bin/zero': 50_000 });
    publish('127.0.0.1:5000/broken:1', [l0, layerOf({ 'bin/one': 50_000 })]);
    const failing = createImageService({
      root,
      registry: pacedRegistry(registry, async (index) => {
        if (index === 1) {
          await new Promise((r) => setTimeout(r, 200));
          throw new Error('connection reset');
        }
      }),
    });
    await expect(failing.pull('127.0.0.1:5000/broken:1')).rejects.toThrow(/connection reset/);
    const active: string[] = [];
    await snapshotter.walk((info) => void (info.kind !== 'committed' && active.push(info.name)));
    expect(active).toEqual([]);
    expect(await failing.list()).toEqual([]);
  });
});
