/**
 * Interoperability with real tools: documents written by umoci and skopeo parse and verify here, and an
 * image written with this package's builders is read by umoci and skopeo (when they are installed).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Descriptor,
  MediaType,
  chainIds,
  checkConfigMatchesManifest,
  createImageConfig,
  createIndex,
  createManifest,
  descriptorOf,
  parseImageConfig,
  parseManifest,
  parsePlatform,
  serializeCanonical,
  sha256Digest,
  verifyDigest,
} from './index';

const LAYOUT = join(import.meta.dirname, 'testdata', 'umoci');
const blobPath = (root: string, digest: string): string => join(root, 'blobs', ...digest.split(':'));
const readBlob = (digest: string): Uint8Array => new Uint8Array(readFileSync(blobPath(LAYOUT, digest)));

describe('an OCI layout written by umoci', () => {
  it('parses index, manifest, config; digests and DiffIDs verify', () => {
    const index = parseManifest(readFileSync(join(LAYOUT, 'index.json')));
    expect(index.kind).toBe('index');
    if (index.kind !== 'index') return;
    const entry = index.index.manifests.find((d) => d.annotations?.['org.opencontainers.image.ref.name'] === 'v1');
    expect(entry).toBeDefined();
    const manifestDescriptor = entry as Descriptor;
    const manifestBytes = readBlob(manifestDescriptor.digest);
    verifyDigest(manifestBytes, manifestDescriptor.digest, manifestDescriptor.size);

    const parsed = parseManifest(manifestBytes, manifestDescriptor.mediaType);
    expect(parsed.kind).toBe('manifest');
    if (parsed.kind !== 'manifest') return;
    const { manifest } = parsed;
    const configBytes = readBlob(manifest.config.digest);
    verifyDigest(configBytes, manifest.config.digest, manifest.config.size);
    const config = parseImageConfig(configBytes);
    expect(config.config?.Cmd).toEqual(['sh']);
    expect(config.config?.Env).toContain('A=1');
    checkConfigMatchesManifest(manifest, config);

    const layer = manifest.layers[0] as Descriptor;
    const compressed = readBlob(layer.digest);
    verifyDigest(compressed, layer.digest, layer.size);
    // The DiffID is the digest of the uncompressed tar.
    expect(sha256Digest(gunzipSync(compressed))).toBe(config.rootfs.diff_ids[0]);
    expect(chainIds(config.rootfs.diff_ids)).toEqual(config.rootfs.diff_ids);
  });

  it('parses the Docker v2 schema 2 manifest skopeo converted it to', () => {
    const parsed = parseManifest(readFileSync(join(LAYOUT, 'skopeo-v2s2-manifest.json')));
    expect(parsed.kind).toBe('manifest');
    if (parsed.kind !== 'manifest') return;
    expect(parsed.mediaType).toBe(MediaType.DockerManifest);
    expect(parsed.manifest.config.mediaType).toBe(MediaType.DockerConfig);
    expect(parsed.manifest.layers[0]?.mediaType).toBe(MediaType.DockerLayerGzip);
  });
});

function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('an OCI layout written with this package', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** Writes a one-layer image (a single file) as an OCI layout and returns its directory. */
  function writeLayout(): string {
    dir = mkdtempSync(join(tmpdir(), 'c-image-interop-'));
    const root = dir;
    const putBlob = (bytes: Uint8Array, digest: string): void => {
      mkdirSync(join(root, 'blobs', 'sha256'), { recursive: true });
      writeFileSync(blobPath(root, digest), bytes);
    };
    const tar = tarWithOneFile('hello.txt', 'hello from c\n');
    const layerBytes = gzipSync(tar);
    const layer: Descriptor = { mediaType: MediaType.OciLayerGzip, digest: sha256Digest(layerBytes), size: layerBytes.byteLength };
    putBlob(layerBytes, layer.digest);
    const config = serializeCanonical(
      createImageConfig({
        platform: parsePlatform('linux/amd64'),
        diffIds: [sha256Digest(tar)],
        config: { Cmd: ['/hello.txt'], Env: ['PATH=/bin'] },
        history: [{ created_by: 'c test' }],
        created: '2024-01-01T00:00:00Z',
      }),
    );
    putBlob(config.bytes, config.digest);
    const manifest = serializeCanonical(createManifest(descriptorOf(config, MediaType.OciConfig), [layer]));
    putBlob(manifest.bytes, manifest.digest);
    const index = createIndex([
      descriptorOf(manifest, MediaType.OciManifest, {
        annotations: { 'org.opencontainers.image.ref.name': 'latest' },
        platform: { os: 'linux', architecture: 'amd64' },
      }),
    ]);
    writeFileSync(join(root, 'index.json'), serializeCanonical(index).bytes);
    writeFileSync(join(root, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    return root;
  }

  it.skipIf(!hasTool('umoci'))('umoci reads it (stat lists the history)', () => {
    const layout = writeLayout();
    const out = execFileSync('umoci', ['stat', '--json', '--image', `${layout}:latest`], { encoding: 'utf8' });
    const stat = JSON.parse(out) as { history: Array<{ created_by: string; layer: { digest: string } | null }> };
    expect(stat.history).toHaveLength(1);
    expect(stat.history[0]?.created_by).toBe('c test');
  });

  it.skipIf(!hasTool('skopeo'))('skopeo inspects it and reads the config', () => {
    const layout = writeLayout();
    const out = execFileSync('skopeo', ['inspect', '--config', `oci:${layout}:latest`], { encoding: 'utf8' });
    const config = JSON.parse(out) as { architecture: string; config: { Cmd: string[] } };
    expect(config.architecture).toBe('amd64');
    expect(config.config.Cmd).toEqual(['/hello.txt']);
  });
});

/** A minimal ustar archive holding one regular file (enough for the tools to read the layer). */
function tarWithOneFile(name: string, content: string): Uint8Array {
  const body = Buffer.from(content);
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string): void => {
    header.write(value, offset, length, 'ascii');
  };
  field(0, 100, name);
  field(100, 8, '0000644\0');
  field(108, 8, '0000000\0');
  field(116, 8, '0000000\0');
  field(124, 12, `${body.byteLength.toString(8).padStart(11, '0')}\0`);
  field(136, 12, '00000000000\0');
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  const padding = Buffer.alloc((512 - (body.byteLength % 512)) % 512);
  return new Uint8Array(Buffer.concat([header, body, padding, Buffer.alloc(1024)]));
}
