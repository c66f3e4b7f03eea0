/**
 * Media types of the OCI image spec (`specs-go/v1/mediatype.go`) and of Docker's image manifest v2
 * schema 2, and the questions c asks about them.
 */
import { CError } from '@c/errors';

export const MediaType = {
  // OCI image spec
  OciDescriptor: 'application/vnd.oci.descriptor.v1+json',
  OciLayoutHeader: 'application/vnd.oci.layout.header.v1+json',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  /** Deprecated by the OCI spec, still found in the wild. */
  OciLayerNondistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OciLayerNondistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OciLayerNondistributableZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',

  // Docker image manifest v2 schema 2
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  /** Written by some tools (docker save, buildkit uncompressed export) though not in the v2.2 spec. */
  DockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  /** Written by buildkit and containerd for zstd layers inside Docker manifests. */
  DockerLayerZstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
  DockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  DockerPluginConfig: 'application/vnd.docker.plugin.v1+json',

  // Docker manifest schema 1 (deprecated, refused)
  DockerSchema1Manifest: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerSchema1SignedManifest: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

export type KnownMediaType = (typeof MediaType)[keyof typeof MediaType];

export const MEDIA_TYPE_OCI_MANIFEST = MediaType.OciManifest;
export const MEDIA_TYPE_OCI_INDEX = MediaType.OciIndex;
export const MEDIA_TYPE_OCI_CONFIG = MediaType.OciConfig;
export const MEDIA_TYPE_OCI_LAYER = MediaType.OciLayer;
export const MEDIA_TYPE_OCI_LAYER_GZIP = MediaType.OciLayerGzip;
export const MEDIA_TYPE_OCI_LAYER_ZSTD = MediaType.OciLayerZstd;
export const MEDIA_TYPE_DOCKER_MANIFEST = MediaType.DockerManifest;
export const MEDIA_TYPE_DOCKER_MANIFEST_LIST = MediaType.DockerManifestList;
export const MEDIA_TYPE_DOCKER_CONFIG = MediaType.DockerConfig;
export const MEDIA_TYPE_DOCKER_LAYER_GZIP = MediaType.DockerLayerGzip;
export const MEDIA_TYPE_DOCKER_FOREIGN_LAYER = MediaType.DockerForeignLayerGzip;

/**
 * The Accept list for manifest requests. Without it some registries fall back to schema1; the order is
 * what the docker CLI sends (single-platform manifests before indexes, Docker before OCI).
 */
export const MANIFEST_ACCEPT: readonly string[] = [
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
  MediaType.OciManifest,
  MediaType.OciIndex,
];

/** `MANIFEST_ACCEPT` joined for an `Accept` header. */
export const MANIFEST_ACCEPT_HEADER = MANIFEST_ACCEPT.join(', ');

/** Strips parameters and whitespace (`application/json; charset=utf-8` → `application/json`) and lowercases. */
export function baseMediaType(mediaType: string): string {
  const semicolon = mediaType.indexOf(';');
  return (semicolon === -1 ? mediaType : mediaType.slice(0, semicolon)).trim().toLowerCase();
}

/** True for an OCI image index or a Docker manifest list. */
export function isIndexMediaType(mediaType: string): boolean {
  const base = baseMediaType(mediaType);
  return base === MediaType.OciIndex || base === MediaType.DockerManifestList;
}

/** True for a single-platform OCI or Docker v2 schema 2 manifest. */
export function isManifestMediaType(mediaType: string): boolean {
  const base = baseMediaType(mediaType);
  return base === MediaType.OciManifest || base === MediaType.DockerManifest;
}

/** True for Docker's deprecated schema1 manifests (signed or not), which c refuses. */
export function isSchema1MediaType(mediaType: string): boolean {
  const base = baseMediaType(mediaType);
  return base === MediaType.DockerSchema1Manifest || base === MediaType.DockerSchema1SignedManifest;
}

/** True for an image config (OCI or Docker). */
export function isConfigMediaType(mediaType: string): boolean {
  const base = baseMediaType(mediaType);
  return base === MediaType.OciConfig || base === MediaType.DockerConfig;
}

export type LayerCompression = 'gzip' | 'zstd' | 'none';

const LAYER_COMPRESSION: ReadonlyMap<string, LayerCompression> = new Map<string, LayerCompression>([
  [MediaType.OciLayer, 'none'],
  [MediaType.OciLayerGzip, 'gzip'],
  [MediaType.OciLayerZstd, 'zstd'],
  [MediaType.OciLayerNondistributable, 'none'],
  [MediaType.OciLayerNondistributableGzip, 'gzip'],
  [MediaType.OciLayerNondistributableZstd, 'zstd'],
  [MediaType.DockerLayer, 'none'],
  [MediaType.DockerLayerGzip, 'gzip'],
  [MediaType.DockerLayerZstd, 'zstd'],
  [MediaType.DockerForeignLayerGzip, 'gzip'],
]);

/** True for a filesystem layer media type c can unpack. */
export function isLayerMediaType(mediaType: string): boolean {
  return LAYER_COMPRESSION.has(baseMediaType(mediaType));
}

/** True for layers that registries may refuse to serve or store (foreign / nondistributable). */
export function isNondistributableMediaType(mediaType: string): boolean {
  const base = baseMediaType(mediaType);
  return base === MediaType.DockerForeignLayerGzip || base.startsWith('application/vnd.oci.image.layer.nondistributable.');
}

/**
 * The compression of a layer blob, from its media type. Throws an `UNSUPPORTED` CError for a media type
 * that is not a known layer type (an artifact blob, a config, a typo).
 */
export function layerCompression(mediaType: string): LayerCompression {
  const compression = LAYER_COMPRESSION.get(baseMediaType(mediaType));
  if (compression === undefined) {
    throw new CError('UNSUPPORTED', `media type "${mediaType}" is not a layer type c can unpack`, {
      hint: 'layers must be tar, tar+gzip or tar+zstd (OCI or Docker media types)',
      details: { mediaType },
    });
  }
  return compression;
}
