/**
 * Helpers of the layers e2e tests: an OCI layout writer (images of random-byte layers, for `skopeo copy`), the
 * store's disk use measured independently of c, and docker's human sizes parsed back.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export interface Blob {
  digest: string;
  size: number;
}

/** Writes an OCI layout holding one image of the given layer trees, ready for `skopeo copy oci:DIR:TAG`. */
export class OciLayout {
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
export function diskBytes(root: string): { bytes: number; blobs: number; snapshots: number } {
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
export function parseHuman(text: string): number {
  const match = /([\d.]+)\s*(B|kB|KB|MB|GB)/.exec(text);
  if (!match) throw new Error(`no size in ${text}`);
  const unit = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 }[match[2] as 'B'];
  return Number(match[1]) * unit;
}

/**
 * Pushes one image per entry of `extras` (name → its own layer's files) to the registry with skopeo, all on one
 * base layer of `baseBytes` random bytes (the same blob in each, so the images share it).
 */
export function pushImagesOnOneBase(work: string, baseBytes: number, extras: Record<string, Record<string, number>>): void {
  let base: { bytes: Buffer; diffId: string } | undefined;
  for (const [name, files] of Object.entries(extras)) {
    const layout = new OciLayout(join(work, name.replace(/[/:]/g, '_')));
    let baseLayer: { blob: Blob; diffId: string };
    if (base) {
      baseLayer = { blob: layout.put(base.bytes), diffId: base.diffId };
    } else {
      baseLayer = layout.layer(work, { 'bin/base.bin': baseBytes, 'etc/os-release': 64 });
      base = { bytes: readFileSync(join(layout.dir, 'blobs', 'sha256', baseLayer.blob.digest.slice(7))), diffId: baseLayer.diffId };
    }
    layout.image('1', [baseLayer, layout.layer(work, files)]);
    execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout.dir}:1`, `docker://${name}`]);
  }
}

/**
 * Stops the daemon the CLI auto-started for `root` (its pid file names it) after releasing image mounts; waits ≤ 30 s
 * (a loaded CI machine can take more than the 5 s this once allowed, and the root is removed next).
 */
export async function stopDaemonOf(root: string): Promise<void> {
  const mounts = join(root, 'mounts');
  if (existsSync(mounts)) {
    for (const name of readdirSync(mounts)) {
      try {
        execFileSync('umount', ['-l', join(mounts, name)], { stdio: 'ignore' });
      } catch {
        // not a mount point
      }
    }
  }
  const pidFile = join(root, 'daemon.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!(pid > 0)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  for (let i = 0; i < 300; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
