/**
 * `c system df` and `docker system df` against c's daemon, end to end: two images on one 2 MB base. The base is
 * counted once (SIZE is the store's measured disk use, not the sum of the images), and RECLAIMABLE is what
 * `c image prune -a` then frees — with a container holding one image (only the other's own layers are
 * reclaimable) and without (everything is). Disk is measured independently of c (stat + du).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, expectSuccess, type CliEnvironment } from '../registry/support/cli';
import { haveRegistry, startRegistry, type RunningRegistry } from '../registry/support/registry-server';
import { diskBytes, parseHuman, pushImagesOnOneBase, stopDaemonOf } from './support/oci-layout';

const DOCKER = '/usr/local/bin/docker';
const haveSkopeo = existsSync('/usr/bin/skopeo');
const haveDocker = existsSync(DOCKER);
const isRoot = process.getuid?.() === 0;

interface DfDocument {
  LayersSize: number;
  Images: Array<{ Id: string; RepoTags: string[]; Size: number; SharedSize: number; Containers: number }>;
  ImagesDiskUsage: { ActiveCount: number; TotalCount: number; Reclaimable: number; TotalSize: number };
}

function getJson<T>(socketPath: string, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text) as T) : reject(new Error(`${path}: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The Images row of a `system df` table (c's or docker's): TOTAL, ACTIVE, SIZE and RECLAIMABLE in bytes. */
function imagesRow(table: string): { total: number; active: number; size: number; reclaimable: number } {
  const line = table.split('\n').find((l) => l.startsWith('Images '));
  if (!line) throw new Error(`no Images row in\n${table}`);
  const [, total, active, size, reclaimable] = line.split(/\s{2,}/);
  return { total: Number(total), active: Number(active), size: parseHuman(size ?? ''), reclaimable: parseHuman(reclaimable ?? '') };
}

const near = (actual: number, expected: number) => expect(Math.abs(actual - expected) / expected, `${actual} vs ${expected}`).toBeLessThan(0.01);

describe.skipIf(!haveRegistry || !haveSkopeo || !haveDocker || !isRoot)('layers: system df counts shared layers once and predicts prune (c and docker CLIs)', () => {
  const BASE_BYTES = 2_000_000;
  const A_BYTES = 300_000;
  const B_BYTES = 150_000;
  let registry: RunningRegistry;
  let c: CliEnvironment;
  let work: string;
  let imageA: string;
  let imageB: string;
  const docker = (...args: string[]) =>
    execFileSync(DOCKER, ['-H', `unix://${join(c.root, 'c.sock')}`, ...args], { encoding: 'utf8', env: { ...process.env, DOCKER_CONFIG: join(work, 'docker-config') } });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'c-e2e-df-'));
    registry = await startRegistry();
    c = cliEnvironment();
    imageA = `${registry.host}/df/a:1`;
    imageB = `${registry.host}/df/b:1`;
    pushImagesOnOneBase(work, BASE_BYTES, { [imageA]: { 'app/a.bin': A_BYTES }, [imageB]: { 'app/b.bin': B_BYTES } });
  });

  afterAll(async () => {
    if (c) {
      await c.run(['rm', '-f', 'df-holder']);
      await stopDaemonOf(c.root);
      c.cleanup();
    }
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('reports the shared base once; RECLAIMABLE is what prune -a frees, with and without a container', async () => {
    expectSuccess(await c.run(['pull', imageA]), 'c pull A');
    expectSuccess(await c.run(['pull', imageB]), 'c pull B');
    const stored = diskBytes(c.root).bytes;
    const socket = join(c.root, 'c.sock');

    // The API: LayersSize is the store once; each image's Size includes the base, which is its SharedSize.
    const doc = await getJson<DfDocument>(socket, '/v1.43/system/df');
    near(doc.LayersSize, stored);
    expect(doc.Images).toHaveLength(2);
    for (const image of doc.Images) {
      expect(image.SharedSize).toBeGreaterThanOrEqual(2 * BASE_BYTES); // the base's blob and its unpacked copy
      expect(image.Size - image.SharedSize).toBeLessThan(BASE_BYTES); // only its own layer is unique
      expect(image.Containers).toBe(0);
    }
    expect(doc.Images.reduce((sum, image) => sum + image.Size, 0)).toBeGreaterThanOrEqual(doc.LayersSize + 2 * BASE_BYTES);
    expect(doc.ImagesDiskUsage).toMatchObject({ TotalCount: 2, ActiveCount: 0, Reclaimable: doc.LayersSize, TotalSize: doc.LayersSize });

    // Both CLIs print the same Images row: the store once, all of it reclaimable.
    const cRow = imagesRow(expectSuccess(await c.run(['system', 'df']), 'c system df').stdout);
    const dockerRow = imagesRow(docker('system', 'df'));
    for (const row of [cRow, dockerRow]) {
      expect([row.total, row.active]).toEqual([2, 0]);
      near(row.size, stored);
      near(row.reclaimable, stored);
    }

    // A container on B: only A's own layer (and its manifest and config) is reclaimable, not the base B needs.
    expectSuccess(await c.run(['create', '--name', 'df-holder', '--network', 'none', imageB]), 'c create');
    const held = await getJson<DfDocument>(socket, '/system/df');
    expect(held.ImagesDiskUsage.ActiveCount).toBe(1);
    expect(held.Images.find((image) => image.RepoTags.includes(imageB))?.Containers).toBe(1);
    const cHeld = imagesRow(expectSuccess(await c.run(['system', 'df']), 'c system df').stdout);
    expect(cHeld.active).toBe(1);
    expect(cHeld.reclaimable).toBeLessThan(BASE_BYTES);
    const beforePrune = diskBytes(c.root).bytes;
    const pruned = expectSuccess(await c.run(['image', 'prune', '-a', '-f']), 'c image prune -a').stdout;
    const freed = beforePrune - diskBytes(c.root).bytes;
    expect(freed).toBeGreaterThanOrEqual(2 * A_BYTES); // A's blob and its unpacked copy
    near(held.ImagesDiskUsage.Reclaimable, freed);
    near(cHeld.reclaimable, freed);
    near(parseHuman(/Total reclaimed space: (.*)/.exec(pruned)?.[1] ?? ''), freed);
    const listed = expectSuccess(await c.run(['images']), 'c images').stdout;
    expect(listed).toContain(`${registry.host}/df/b`);
    expect(listed).not.toContain(`${registry.host}/df/a`);

    // Without the container everything left is reclaimable, and prune -a frees exactly that: the store is empty.
    expectSuccess(await c.run(['rm', 'df-holder']), 'c rm');
    const left = diskBytes(c.root).bytes;
    const dockerLeft = imagesRow(docker('system', 'df'));
    const cLeft = imagesRow(expectSuccess(await c.run(['system', 'df']), 'c system df').stdout);
    for (const row of [dockerLeft, cLeft]) {
      expect([row.total, row.active]).toEqual([1, 0]);
      near(row.reclaimable, left);
    }
    expectSuccess(await c.run(['image', 'prune', '-a', '-f']), 'c image prune -a');
    expect(diskBytes(c.root)).toEqual({ bytes: 0, blobs: 0, snapshots: 0 });
  });
});
