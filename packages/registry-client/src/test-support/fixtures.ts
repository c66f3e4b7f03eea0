/** Test-only builders for images: layers, configs, manifests and indexes with real digests. */
import { MediaType, type Descriptor } from '@c/image';
import { sha256 } from './memory-store';

export interface Blob {
  bytes: Buffer;
  descriptor: Descriptor;
}

export function blob(content: string | Buffer, mediaType = 'application/vnd.oci.image.layer.v1.tar+gzip'): Blob {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return { bytes, descriptor: { mediaType, digest: sha256(bytes), size: bytes.length } };
}

export interface TestImage {
  config: Blob;
  layers: Blob[];
  manifest: Blob;
}

export function image(layerContents: Array<string | Buffer>, architecture = 'amd64'): TestImage {
  const config = blob(JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }), 'application/vnd.oci.image.config.v1+json');
  const layers = layerContents.map((c) => blob(c));
  const manifest = blob(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: config.descriptor, layers: layers.map((l) => l.descriptor) }),
    MediaType.OciManifest,
  );
  return { config, layers, manifest };
}

export function index(entries: Array<{ image: TestImage; os: string; architecture: string; variant?: string }>): Blob {
  return blob(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: entries.map((e) => ({
        ...e.image.manifest.descriptor,
        platform: { os: e.os, architecture: e.architecture, ...(e.variant ? { variant: e.variant } : {}) },
      })),
    }),
    MediaType.OciIndex,
  );
}
