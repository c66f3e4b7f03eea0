import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineClient } from '@c/api';
import type { BackendDiskUsage } from '../backends';
import { startDaemon, type RunningDaemon } from '../daemon';
import { FakeContainers } from '../testing/fake-containers';
import { MemoryImages } from '../testing/memory-images';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

/** Two images on one 3 MB base, each 1 MB of its own; the engine's accounting is scripted. */
class SharedBaseImages extends MemoryImages {
  usage: BackendDiskUsage = { images: [], containers: [], totals: { images: { count: 0, active: 0, size: 0, reclaimable: 0 } } };
  override async df(): Promise<BackendDiskUsage> {
    return this.usage;
  }
}

describe('GET /system/df', () => {
  let dir: string;
  let daemon: RunningDaemon;
  let client: EngineClient;
  let images: SharedBaseImages;
  let containers: FakeContainers;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'c-daemon-df-'));
    images = new SharedBaseImages();
    images.names.set('a:1', { id: A, digest: `sha256:${'1'.repeat(64)}`, created: '2024-01-01T00:00:00Z', size: 4_000_000 });
    images.names.set('b:1', { id: B, digest: `sha256:${'2'.repeat(64)}`, created: '2024-01-01T00:00:00Z', size: 4_000_000 });
    containers = new FakeContainers();
    const socket = join(dir, 'c.sock');
    daemon = await startDaemon({ config: { sockets: [socket], root: join(dir, 'root') }, images, containers });
    client = new EngineClient({ socketPath: socket, timeoutMs: 5000 });
  });

  afterEach(async () => {
    await daemon.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the engine’s exact accounting: the shared base once in LayersSize, per-image shared sizes, exact reclaimable', async () => {
    images.usage = {
      images: [
        { id: A, size: 4_000_000, sharedSize: 3_000_000, containers: 0 },
        { id: B, size: 4_000_000, sharedSize: 3_000_000, containers: 0 },
      ],
      containers: [],
      totals: { images: { count: 2, active: 0, size: 5_000_000, reclaimable: 5_000_000 } },
    };
    const df = await client.systemDf();
    // Summing the images would say 8 MB: the base counts once.
    expect(df.LayersSize).toBe(5_000_000);
    expect(df.Images).toEqual([
      expect.objectContaining({ Id: A, RepoTags: ['a:1'], Size: 4_000_000, SharedSize: 3_000_000, Containers: 0 }),
      expect.objectContaining({ Id: B, RepoTags: ['b:1'], Size: 4_000_000, SharedSize: 3_000_000, Containers: 0 }),
    ]);
    expect(df.ImagesDiskUsage).toEqual({ ActiveCount: 0, TotalCount: 2, Reclaimable: 5_000_000, TotalSize: 5_000_000 });
    expect([df.Volumes, df.BuildCache]).toEqual([[], []]);
  });

  it('gives each container its writable layer (SizeRw) and counts only stopped ones as reclaimable', async () => {
    const running = await containers.create({ image: 'busybox', cmd: ['sleep'] });
    const stopped = await containers.create({ image: 'busybox', cmd: ['sleep'] });
    await containers.start(running.Id);
    images.usage = {
      images: [
        { id: A, size: 4_000_000, sharedSize: 3_000_000, containers: 0 },
        { id: B, size: 4_000_000, sharedSize: 3_000_000, containers: 2 },
      ],
      containers: [
        { id: running.Id, size: 2048 },
        { id: stopped.Id, size: 1024 },
      ],
      totals: { images: { count: 2, active: 1, size: 5_000_000, reclaimable: 1_000_000 } },
    };
    const df = await client.systemDf();
    const byId = new Map(df.Containers.map((row) => [row.Id, row]));
    // Both run on b (the fake's busybox): SizeRootFs adds the image's size.
    expect(byId.get(running.Id)).toMatchObject({ SizeRw: 2048, SizeRootFs: 4_002_048, State: 'running' });
    expect(byId.get(stopped.Id)).toMatchObject({ SizeRw: 1024, SizeRootFs: 4_001_024 });
    expect(df.ContainersDiskUsage).toEqual({ ActiveCount: 1, TotalCount: 2, Reclaimable: 1024, TotalSize: 3072 });
    expect(df.ImagesDiskUsage).toMatchObject({ ActiveCount: 1, Reclaimable: 1_000_000 });
  });
});
