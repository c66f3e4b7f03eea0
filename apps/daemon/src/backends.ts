/**
 * What the daemon needs from the engine, as narrow structural interfaces. `@c/engine`'s ImageService satisfies
 * ImagesBackend as it is; unit tests hand in small in-memory implementations. Handlers only translate between
 * these calls and the Docker Engine API.
 */
import type { AuthConfig } from '@c/api';

/** One blob's transfer state during a pull or push (the engine's TransferEvent). */
export interface TransferEvent {
  /** Short id (12 hex digits), as docker's progress lines show it. */
  id: string;
  /** waiting, downloading, verifying, done, exists, pushing, pushed, mounted… */
  status: string;
  current: number;
  total: number;
  digest?: string;
}

export interface BackendPullOptions {
  /** `os/arch[/variant]`. */
  platform?: string;
  /** Credentials from `X-Registry-Auth`, when the client sent any. */
  auth?: AuthConfig;
  onProgress?: (event: TransferEvent) => void;
  signal?: AbortSignal;
}

export interface BackendPullResult {
  /** Familiar reference (`busybox:latest`, `127.0.0.1:5000/busybox:latest`). */
  reference: string;
  /** Full reference (`docker.io/library/busybox:latest`). */
  fullReference: string;
  /** The digest the reference resolved to (index, else manifest). */
  digest: string;
  /** Image id (config digest). */
  id: string;
  status: 'downloaded' | 'up-to-date';
}

export interface BackendPushOptions {
  auth?: AuthConfig;
  onProgress?: (event: TransferEvent) => void;
  signal?: AbortSignal;
}

export interface BackendPushResult {
  reference: string;
  /** Familiar repository (`127.0.0.1:5000/busybox`). */
  repository: string;
  tag: string | undefined;
  digest: string;
  /** Size of the pushed manifest or index, in bytes. */
  size: number;
}

/** One name in the local image store (the engine's ImageSummary). Several rows can share an id. */
export interface ImageRow {
  /** Familiar repository (`busybox`, `localhost:5000/foo`). */
  repository: string;
  /** Undefined for a name recorded by digest only. */
  tag: string | undefined;
  /** The digest the name resolved to (index or manifest). */
  digest: string;
  /** Config digest. */
  id: string;
  /** ISO time from the image config. */
  created: string | undefined;
  /** Sum of compressed layer sizes. */
  size: number;
  /** The store key (full reference). */
  name: string;
}

/** The engine's image inspect document: Docker's shape, possibly without the fields the daemon fills in. */
export interface ImageInspectDocument {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: unknown;
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime?: string };
}

export interface BackendImportOptions {
  /** History comment; Docker's default is "Imported from <source>". */
  message?: string;
  /** Dockerfile-style config edits (`CMD ["sh"]`, `ENV A=b`). */
  changes?: string[];
  /** How the source is named in messages (`-` for the request body). */
  sourceName?: string;
  /** `os/arch[/variant]` the image config records; the daemon's own platform when absent. */
  platform?: string;
}

export interface BackendImportResult {
  /** Image id (config digest). */
  id: string;
}

export type RemovedItem = { Untagged: string } | { Deleted: string };

/**
 * The store's exact disk accounting (the engine's `ImageService.df()`): blobs and unpacked snapshots, each counted
 * once however many images share it. `totals.images.reclaimable` is what `prune({ all: true })` frees.
 */
export interface BackendDiskUsage {
  images: Array<{
    /** Image id (config digest). */
    id: string;
    /** Blobs and unpacked layers the image references. */
    size: number;
    /** Part of `size` another image references too. */
    sharedSize: number;
    /** Containers and image mounts built on it. */
    containers: number;
  }>;
  /** Writable layers, by container id. */
  containers: Array<{ id: string; size: number }>;
  totals: { images: { count: number; active: number; size: number; reclaimable: number } };
}

export interface ImagesBackend {
  list(): Promise<ImageRow[]>;
  /** What `GET /system/df` reports: every blob and snapshot once, and what pruning would free. */
  df(): Promise<BackendDiskUsage>;
  inspect(name: string): Promise<ImageInspectDocument>;
  tag(source: string, target: string): Promise<void>;
  remove(name: string, options?: { force?: boolean }): Promise<RemovedItem[]>;
  pull(reference: string, options?: BackendPullOptions): Promise<BackendPullResult>;
  push(reference: string, options?: BackendPushOptions): Promise<BackendPushResult>;
  /** Stores a root filesystem tarball (plain or gzip) as a one-layer image named `target`. */
  import(source: AsyncIterable<Uint8Array>, target: string, options?: BackendImportOptions): Promise<BackendImportResult>;
  /** Verifies credentials with the registry (Docker Hub when undefined); stores nothing (clients send X-Registry-Auth). */
  login(registry: string | undefined, credentials: { username: string; password: string }): Promise<{ registry: string }>;
}

/** Facts about the daemon and its host that `GET /info` and `GET /version` report. */
export interface DaemonFacts {
  /** c's version. */
  version: string;
  /** Stable daemon ID (persisted under the root). */
  id: string;
  root: string;
  gitCommit: string;
  buildTime: string;
}
