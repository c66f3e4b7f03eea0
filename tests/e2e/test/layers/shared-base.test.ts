/**
 * Issue #3 end to end, through the built CLI and its auto-started daemon against a real docker-registry: two
 * images on one base store and unpack the base once; `c image mount` shows the merged read-only rootfs; removing
 * one image frees exactly what pulling it added; `c image prune -a` frees the rest and says how much.
 * Disk is measured independently of c: blob file sizes (stat) plus `du` over the snapshot directories.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, expectSuccess, type CliEnvironment } from '../registry/support/cli';
import { haveRegistry, startRegistry, type RunningRegistry } from '../registry/support/registry-server';
import { diskBytes, parseHuman, pushImagesOnOneBase, stopDaemonOf } from './support/oci-layout';

const haveSkopeo = existsSync('/usr/bin/skopeo');
const isRoot = process.getuid?.() === 0;

describe.skipIf(!haveRegistry || !haveSkopeo || !isRoot)('layers: shared base, image mount, rmi and prune (CLI + daemon)', () => {
  let registry: RunningRegistry;
  let c: CliEnvironment;
  let work: string;
  let imageA: string;
  let imageB: string;
  const BASE_BYTES = 2_000_000;
  const B_BYTES = 150_000;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'c-e2e-layers-'));
    registry = await startRegistry();
    c = cliEnvironment();
    imageA = `${registry.host}/layers/a:1`;
    imageB = `${registry.host}/layers/b:1`;
    pushImagesOnOneBase(work, BASE_BYTES, { [imageA]: { 'app/a.bin': 100_000 }, [imageB]: { 'app/b.bin': B_BYTES } });
  });

  afterAll(async () => {
    if (c) {
      await stopDaemonOf(c.root);
      c.cleanup();
    }
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('stores and unpacks the shared base once; mount shows the merged rootfs; rmi frees exactly the image; prune -a the rest', async () => {
    expectSuccess(await c.run(['pull', imageA]), 'c pull A');
    const afterA = diskBytes(c.root);
    expect(afterA.snapshots).toBe(2);
    expect(afterA.bytes).toBeGreaterThanOrEqual(2 * BASE_BYTES); // the base's blob and its unpacked copy

    expectSuccess(await c.run(['pull', imageB]), 'c pull B');
    const afterB = diskBytes(c.root);
    expect(afterB.snapshots).toBe(3); // base, a, b: the base was not unpacked again
    const added = afterB.bytes - afterA.bytes;
    expect(added).toBeGreaterThanOrEqual(2 * B_BYTES); // b's blob and its unpacked copy
    expect(added).toBeLessThan(BASE_BYTES); // and not the base again

    const images = expectSuccess(await c.run(['images']), 'c images').stdout;
    expect(images).toMatch(/layers\/a/);

    const mounted = expectSuccess(await c.run(['image', 'mount', imageB]), 'c image mount').stdout.trim();
    expect(mounted.startsWith(join(c.root, 'mounts'))).toBe(true);
    expect(statSync(join(mounted, 'bin/base.bin')).size).toBe(BASE_BYTES);
    expect(statSync(join(mounted, 'app/b.bin')).size).toBe(B_BYTES);
    expect(() => writeFileSync(join(mounted, 'new'), 'x')).toThrow(/EROFS/);
    expectSuccess(await c.run(['image', 'unmount', imageB]), 'c image unmount');
    expect(existsSync(mounted)).toBe(false);
    expect(diskBytes(c.root).bytes).toBe(afterB.bytes);

    expectSuccess(await c.run(['rmi', imageB]), 'c rmi B');
    const afterRmi = diskBytes(c.root);
    // Exactly what pulling B added is gone; A (and the base) stay.
    expect(afterRmi.bytes).toBe(afterA.bytes);
    expect(afterRmi.snapshots).toBe(2);

    const pruned = expectSuccess(await c.run(['image', 'prune', '-a', '-f']), 'c image prune -a').stdout;
    const afterPrune = diskBytes(c.root);
    expect(afterPrune).toEqual({ bytes: 0, blobs: 0, snapshots: 0 });
    const reported = parseHuman(/Total reclaimed space: (.*)/.exec(pruned)?.[1] ?? '');
    expect(Math.abs(reported - afterRmi.bytes) / afterRmi.bytes).toBeLessThan(0.01);
    expect(expectSuccess(await c.run(['images', '-q']), 'c images -q').stdout.trim()).toBe('');
  });
});
