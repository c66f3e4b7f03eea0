/**
 * A one-layer busybox image built offline from the host's static /bin/busybox, written as an OCI layout and pushed
 * to a registry with skopeo: the daemon's pull then fetches something real without reaching the internet.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

const run = promisify(execFile);
const BUSYBOX = '/bin/busybox';
const MTIME = new Date('2024-01-01T00:00:00Z');

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** An uncompressed root filesystem tar: /bin/busybox, a few applet links, /etc/passwd. */
export async function layerTar(): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    tar.on('end', () => resolve());
    tar.on('error', reject);
  });
  const binary = await readFile(BUSYBOX);
  tar.entry({ name: 'bin/', type: 'directory', mode: 0o755, mtime: MTIME });
  tar.entry({ name: 'bin/busybox', mode: 0o755, mtime: MTIME }, binary);
  for (const applet of ['sh', 'ls', 'echo', 'cat', 'true']) {
    tar.entry({ name: `bin/${applet}`, type: 'symlink', linkname: 'busybox', mtime: MTIME });
  }
  tar.entry({ name: 'etc/', type: 'directory', mode: 0o755, mtime: MTIME });
  tar.entry({ name: 'etc/passwd', mode: 0o644, mtime: MTIME }, 'root:x:0:0:root:/root:/bin/sh\n');
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface BuiltImage {
  layoutDir: string;
  /** `sha256:` digest of the config: the image ID the daemon must report. */
  configDigest: string;
  manifestDigest: string;
}

export async function writeBusyboxLayout(dir: string): Promise<BuiltImage> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (bytes: Buffer): Promise<string> => {
    const hex = sha256(bytes);
    await writeFile(join(blobs, hex), bytes);
    return hex;
  };
  const tar = await layerTar();
  const layer = gzipSync(tar);
  const layerHex = await put(layer);
  const config = Buffer.from(
    JSON.stringify({
      created: MTIME.toISOString(),
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['sh'], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(tar)}`] },
      history: [{ created: MTIME.toISOString(), created_by: 'c e2e: /bin/busybox' }],
    }),
  );
  const configHex = await put(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${configHex}`, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${layerHex}`, size: layer.length }],
    }),
  );
  const manifestHex = await put(manifest);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${manifestHex}`,
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': 'latest' },
        },
      ],
    }),
  );
  return { layoutDir: dir, configDigest: `sha256:${configHex}`, manifestDigest: `sha256:${manifestHex}` };
}

/** Copies the layout's `latest` to `registry/repository:tag` (plain HTTP). */
export async function pushLayout(layoutDir: string, target: string, credentials?: string): Promise<void> {
  const auth = credentials ? ['--dest-creds', credentials] : [];
  await run('/usr/bin/skopeo', ['copy', '--quiet', '--dest-tls-verify=false', ...auth, `oci:${layoutDir}:latest`, `docker://${target}`]);
}
