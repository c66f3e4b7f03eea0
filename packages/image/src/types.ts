/**
 * The image model: OCI image spec v1.1 documents (which Docker v2 schema 2 documents are a subset of).
 * Field names are the JSON names, so a parsed document is used as is.
 */
import type { Digest } from './content';

/** Where an image runs: `linux/arm64/v8`. */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
  features?: string[];
}

/** Points at content by media type, digest and size. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  /** Only meaningful on manifests inside an index. */
  platform?: Platform;
  artifactType?: string;
  /** Inline content (base64), allowed by OCI; verified against `digest` when present. */
  data?: string;
}

/** A single-platform image: a config and layers (OCI manifest or Docker v2 schema 2). */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** A multi-platform image: one manifest per platform (OCI index or Docker manifest list). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** The result of parsing a manifest document of either kind. */
export type ParsedManifest =
  | { kind: 'manifest'; mediaType: string; manifest: ImageManifest }
  | { kind: 'index'; mediaType: string; index: ImageIndex };

/** Docker's health check settings, kept by OCI configs written by docker/buildkit. */
export interface HealthConfig {
  /** `["NONE"]`, `["CMD", args...]` or `["CMD-SHELL", command]`. */
  Test?: string[];
  /** Nanoseconds. */
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The execution parameters of an image (`config` inside the image config). */
export interface ContainerConfig {
  User?: string;
  /** Keys like `80/tcp`; values are empty objects. */
  ExposedPorts?: Record<string, Record<string, never>>;
  /** `KEY=value` entries. */
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  // Docker extensions found in configs written by docker build / buildkit.
  Healthcheck?: HealthConfig;
  OnBuild?: string[];
  Shell?: string[];
  StopTimeout?: number;
}

/** One step of the image's history. */
export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  /** True when the step created no layer (ENV, CMD...). */
  empty_layer?: boolean;
}

export interface RootFs {
  type: 'layers';
  /** The digests of the uncompressed layer tars, bottom first. */
  diff_ids: Digest[];
}

/** The OCI image config (`application/vnd.oci.image.config.v1+json`, same shape as Docker's). */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  config?: ContainerConfig;
  rootfs: RootFs;
  history?: HistoryEntry[];
}
