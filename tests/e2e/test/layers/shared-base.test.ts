/**
 * Issue #3 end to end, through the built CLI and its auto-started daemon against a real docker-registry: two
 * images on one base store and unpack the base once; `c image mount` shows the merged read-only rootfs; removing
 * one image frees exactly what pulling it added; `c image prune -a` frees the rest and says how much.
 * Disk is measured independently of c: blob file sizes (stat) plus `du` over the snapshot directories.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, expectSuccess, type CliEnvironment } from '../registry/support/cli';
import { haveRegistry, startRegistry, type RunningRegistry } from '../registry/support/registry-server';

const haveSkopeo = existsSync('/usr/bin/skopeo');
const isRoot = process.getuid?.() === 0;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface Blob {
  digest: string;
  size: number;
}

/** Writes an OCI layout holding one image of the given layer trees, ready for `skopeo copy oci:DIR:TAG`. */
class OciLayout {
  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  }

  put(bytes: Buffer): Blob {
    const hex = sha256(bytes);
    writeFileSync(join(this.dir, 'blobs', 'sha256', hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  }

  /** A gzip layer of `files` (random bytes of the given sizes); returns the blob and its DiffID. */
  layer(work: string, files: Record<string, number>): { blob: Blob; diffId: string } {
    const tree = mkdtempSync(join(work, 'tree-'));
    for (const [path, size] of Object.entries(files)) {
      mkdirSync(join(tree, path, '..'), { recursive: true });
      writeFileSync(join(tree, path), randomBytes(size));
    }
    const tar = execFileSync('tar', ['--sort=name', '--mtime=@1704067200', '--owner=0', '--group=0', '-C', tree, '-c', '.'], { maxBuffer: 1 << 28 });
    return { blob: this.put(gzipSync(tar)), diffId: `sha256:${sha256(tar)}` };
  }

  image(tag: string, layers: Array<{ blob: Blob; diffId: string }>): void {
    const config = this.put(
      Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } })),
    );
    const manifest = this.put(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l.blob })),
        }),
      ),
    );
    const index = {
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    };
    writeFileSync(join(this.dir, 'index.json'), JSON.stringify(index));
  }
}

/** Bytes the store holds: blob files (apparent size) + snapshot dirs (du: allocated blocks, hard links once). */
function diskBytes(root: string): { bytes: number; blobs: number; snapshots: number } {
  const blobDir = join(root, 'content', 'blobs', 'sha256');
  const blobNames = existsSync(blobDir) ? readdirSync(blobDir) : [];
  let bytes = 0;
  for (const name of blobNames) bytes += statSync(join(blobDir, name)).size;
  const snapshotsDir = join(root, 'snapshots', 'snapshots');
  const fsDirs = existsSync(snapshotsDir) ? readdirSync(snapshotsDir).map((id) => join(snapshotsDir, id, 'fs')).filter((p) => existsSync(p)) : [];
  if (fsDirs.length > 0) {
    for (const line of execFileSync('du', ['-s', '-B1', '--', ...fsDirs], { encoding: 'utf8' }).trim().split('\n')) bytes += Number(line.split('\t')[0]);
  }
  return { bytes, blobs: blobNames.length, snapshots: fsDirs.length };
}

/** docker's humanSize text (`1.23MB`) back to bytes. */
function parseHuman(text: string): number {
  const match = /([\d.]+)\s*(B|kB|KB|MB|GB)/.exec(text);
  if (!match) throw new Error(`no size in ${text}`);
  const unit = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 }[match[2] as 'B'];
  return Number(match[1]) * unit;
}

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
    for (const [name, extra] of [
      [imageA, { 'app/a.bin': 100_000 }],
      [imageB, { 'app/b.bin': B_BYTES }],
    ] as const) {
      const layout = new OciLayout(join(work, name.replace(/[/:]/g, '_')));
      // The base is random bytes: built once, its blob copied into the second layout.
      layout.image('1', [baseLayer(layout), layout.layer(work, extra)]);
      execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout.dir}:1`, `docker://${name}`]);
    }
  });

  let base: { bytes: Buffer; diffId: string } | undefined;
  function baseLayer(layout: OciLayout): { blob: Blob; diffId: string } {
    if (!base) {
      const first = layout.layer(work, { 'bin/base.bin': BASE_BYTES, 'etc/os-release': 64 });
      base = { bytes: readFileSync(join(layout.dir, 'blobs', 'sha256', first.blob.digest.slice(7))), diffId: first.diffId };
      return first;
    }
    return { blob: layout.put(base.bytes), diffId: base.diffId };
  }

  afterAll(async () => {
    // The CLI auto-started a daemon for this root: stop it (its pid file names it), after releasing mounts.
    if (c) {
      const mounts = join(c.root, 'mounts');
      if (existsSync(mounts)) {
        for (const name of readdirSync(mounts)) {
          try {
            execFileSync('umount', ['-l', join(mounts, name)], { stdio: 'ignore' });
          } catch {
            // not a mount point
          }
        }
      }
      const pidFile = join(c.root, 'daemon.pid');
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        try {
          if (pid > 0) process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
        for (let i = 0; i < 50 && pid > 0; i++) {
          try {
            process.kill(pid, 0);
          } catch {
            break;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
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
