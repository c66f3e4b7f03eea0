/**
 * Building documents for import, build and push. Inputs are validated with the same checks as parsed
 * documents, so c never writes what it would refuse to read. Serialize results with `serializeCanonical`.
 */
import { CError } from '@c/errors';
import type { Digest } from './content';
import { checkImageConfig } from './config';
import { checkDescriptor, checkIndex, checkManifest } from './manifest';
import { MediaType, isConfigMediaType, isIndexMediaType, isLayerMediaType, isManifestMediaType } from './media-types';
import { hostPlatform, normalizePlatform } from './platform';
import type { ContainerConfig, Descriptor, HistoryEntry, ImageConfig, ImageIndex, ImageManifest, Platform } from './types';

/** Which family of media types a document uses: OCI, or Docker v2 schema 2 (for older registries/clients). */
export type ManifestFormat = 'oci' | 'docker';

export interface ImageConfigInit {
  /** Default: the host platform. */
  platform?: Platform;
  config?: ContainerConfig;
  diffIds?: Digest[];
  history?: HistoryEntry[];
  /** RFC 3339; default: none, so the same inputs give the same config (and digest). */
  created?: string;
  author?: string;
}

/** A new image config; validated as `parseImageConfig` would. */
export function createImageConfig(init: ImageConfigInit = {}): ImageConfig {
  const platform = normalizePlatform(init.platform ?? hostPlatform());
  const config: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    rootfs: { type: 'layers', diff_ids: [...(init.diffIds ?? [])] },
  };
  if (platform.variant !== undefined) config.variant = platform.variant;
  if (platform['os.version'] !== undefined) config['os.version'] = platform['os.version'];
  if (platform['os.features'] !== undefined) config['os.features'] = [...platform['os.features']];
  if (init.created !== undefined) config.created = init.created;
  if (init.author !== undefined) config.author = init.author;
  if (init.config !== undefined) config.config = structuredClone(init.config);
  if (init.history !== undefined) config.history = structuredClone(init.history);
  return checkImageConfig(config);
}

/** A copy of `config` with one more layer on top, and its history entry (the step that made it). */
export function appendLayerToConfig(config: ImageConfig, diffId: Digest, history: HistoryEntry = {}): ImageConfig {
  const next = structuredClone(config);
  next.rootfs.diff_ids.push(diffId);
  next.history = [...(next.history ?? []), { ...history, empty_layer: undefined }].map(stripUndefined);
  return checkImageConfig(next);
}

/** A copy of `config` with a history entry that made no layer (ENV, CMD, LABEL...). */
export function appendEmptyLayerHistory(config: ImageConfig, history: HistoryEntry): ImageConfig {
  const next = structuredClone(config);
  next.history = [...(next.history ?? []), { ...history, empty_layer: true }];
  return checkImageConfig(next);
}

/** A copy of `config` with its execution parameters replaced by `update(old)`. */
export function withContainerConfig(
  config: ImageConfig,
  update: (current: ContainerConfig) => ContainerConfig,
): ImageConfig {
  const next = structuredClone(config);
  next.config = update(structuredClone(config.config ?? {}));
  return checkImageConfig(next);
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export interface ManifestOptions {
  /** Default `oci`. Docker format requires Docker config and layer media types to follow the spec. */
  format?: ManifestFormat;
  annotations?: Record<string, string>;
  subject?: Descriptor;
  artifactType?: string;
}

function badInput(message: string, hint: string): CError {
  return new CError('INVALID_ARGUMENT', message, { hint });
}

/** A new image manifest for a config and its layers (bottom first). */
export function createManifest(
  configDescriptor: Descriptor,
  layerDescriptors: readonly Descriptor[],
  options: ManifestOptions = {},
): ImageManifest {
  const format = options.format ?? 'oci';
  const ctx = { document: 'manifest being built' };
  checkDescriptor(ctx, configDescriptor, 'config');
  layerDescriptors.forEach((layer, i) => checkDescriptor(ctx, layer, `layers[${i}]`));
  if (options.artifactType === undefined && !isConfigMediaType(configDescriptor.mediaType)) {
    throw badInput(
      `config descriptor has media type "${configDescriptor.mediaType}", not an image config type`,
      'use application/vnd.oci.image.config.v1+json (or the Docker config type for docker format)',
    );
  }
  if (options.artifactType === undefined) {
    layerDescriptors.forEach((layer, i) => {
      if (!isLayerMediaType(layer.mediaType)) {
        throw badInput(`layers[${i}] has media type "${layer.mediaType}", not a layer type`, 'use a tar, tar+gzip or tar+zstd layer media type');
      }
    });
  }
  if (format === 'docker') {
    if (options.artifactType !== undefined || options.subject !== undefined) {
      throw badInput('Docker v2 schema 2 manifests cannot carry artifactType or subject', 'use the oci format');
    }
    if (configDescriptor.mediaType !== MediaType.DockerConfig) {
      throw badInput(`a Docker manifest needs config media type ${MediaType.DockerConfig}`, 'use the oci format, or convert the descriptor');
    }
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: format === 'docker' ? MediaType.DockerManifest : MediaType.OciManifest,
    config: structuredClone(configDescriptor),
    layers: layerDescriptors.map((layer) => structuredClone(layer)),
  };
  if (options.artifactType !== undefined) manifest.artifactType = options.artifactType;
  if (options.subject !== undefined) manifest.subject = structuredClone(options.subject);
  if (options.annotations !== undefined) manifest.annotations = { ...options.annotations };
  return checkManifest(manifest, ctx);
}

/** A new image index over per-platform manifests (each descriptor should carry its `platform`). */
export function createIndex(manifests: readonly Descriptor[], options: ManifestOptions = {}): ImageIndex {
  const format = options.format ?? 'oci';
  const ctx = { document: 'index being built' };
  manifests.forEach((descriptor, i) => {
    checkDescriptor(ctx, descriptor, `manifests[${i}]`);
    if (!isManifestMediaType(descriptor.mediaType) && !isIndexMediaType(descriptor.mediaType)) {
      throw badInput(`manifests[${i}] has media type "${descriptor.mediaType}", not a manifest or index type`, 'list manifests only');
    }
  });
  if (format === 'docker' && (options.artifactType !== undefined || options.subject !== undefined)) {
    throw badInput('Docker manifest lists cannot carry artifactType or subject', 'use the oci format');
  }
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: format === 'docker' ? MediaType.DockerManifestList : MediaType.OciIndex,
    manifests: manifests.map((descriptor) => structuredClone(descriptor)),
  };
  if (options.artifactType !== undefined) index.artifactType = options.artifactType;
  if (options.subject !== undefined) index.subject = structuredClone(options.subject);
  if (options.annotations !== undefined) index.annotations = { ...options.annotations };
  return checkIndex(index, ctx);
}
