/** Public types of the image service: options, progress events and results. */
import type { Platform } from '@c/image';
import type { ImageInspect } from './inspect';

/** One blob's transfer state, emitted while pulling or pushing (never printed by the engine). */
export interface TransferEvent {
  /** Short id of the blob (12 hex digits, like docker's progress lines). */
  id: string;
  /** The registry client's status: waiting, downloading, verifying, done, exists, pushing, pushed, mounted... */
  status: string;
  current: number;
  total: number;
  digest?: string;
  /** What the blob is: layer, config, manifest, index (docker's progress shows layers only). */
  kind?: string;
}

/** Registry credentials for one pull or push, in docker's AuthConfig shape (what `X-Registry-Auth` carries). */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** base64 of `user:password`, sent by old clients instead of the two fields. */
  auth?: string;
  identitytoken?: string;
  serveraddress?: string;
}

export interface PullOptions {
  platform?: Platform | string;
  /** Credentials for the image's registry, for this pull only; anonymous when absent (unless the service reads saved ones). */
  auth?: RegistryAuth;
  /** Unpack the layers into snapshots after downloading (default true when the service has a snapshotter). */
  unpack?: boolean;
  onProgress?: (event: TransferEvent) => void;
  signal?: AbortSignal;
}

export interface PullResult {
  /** Familiar reference, as docker prints it in `Status: … for busybox:latest`. */
  reference: string;
  /** Full reference, as docker prints it on the last line (`docker.io/library/busybox:latest`). */
  fullReference: string;
  /** The digest the reference resolved to: the index when there is one, else the manifest. */
  digest: string;
  manifestDigest: string;
  /** The image id (config digest). */
  id: string;
  /** `downloaded` when the name now points at different content, `up-to-date` when it did already. */
  status: 'downloaded' | 'up-to-date';
}

export interface PushOptions {
  /** Credentials for the image's registry, for this push only; anonymous when absent (unless the service reads saved ones). */
  auth?: RegistryAuth;
  onProgress?: (event: TransferEvent) => void;
  signal?: AbortSignal;
}

export interface PushResult {
  reference: string;
  /** Familiar repository (`localhost:5000/busybox`), for docker's "The push refers to repository [...]". */
  repository: string;
  tag: string | undefined;
  digest: string;
  size: number;
}

export interface ImageSummary {
  /** Familiar repository (`busybox`, `localhost:5000/foo`). */
  repository: string;
  /** Tag, or undefined for an image recorded by digest only (docker shows `<none>`). */
  tag: string | undefined;
  /** The digest the name resolved to (index or manifest), docker's DIGEST column. */
  digest: string;
  /** Image id: the config digest. */
  id: string;
  /** ISO time from the image config, undefined when the config has none. */
  created: string | undefined;
  /**
   * Bytes on disk of the unpacked layers (docker's SIZE) once the image is unpacked; before that (a service
   * without a snapshotter, an unpack that failed) the sum of the compressed layer sizes.
   */
  size: number;
  /** The store key. */
  name: string;
}

export type RemoveResultItem = { Untagged: string } | { Deleted: string };

export interface ImportOptions {
  /** History comment; docker's default is "Imported from <source>". */
  message?: string;
  /** Dockerfile-style config edits (`CMD ["sh"]`, `ENV A=b`...). */
  changes?: string[];
  /** How the source is named in messages (`-` for stdin). */
  sourceName?: string;
  /** The platform the config records (`linux/arm64` or a parsed one); the host's when absent. */
  platform?: Platform | string;
}

export interface ImportResult {
  id: string;
  manifestDigest: string;
  reference: string;
}

export type { ImageInspect };

/** One image in `df()`. Bytes are what GC would free: blob sizes plus unpacked snapshot disk usage. */
export interface ImageDiskUsage {
  /** Image id (config digest). */
  id: string;
  /** Full names pointing at it. */
  names: string[];
  /** Blobs and unpacked layers this image references. */
  size: number;
  /** Part of `size` another image references too. */
  sharedSize: number;
  /** Part of `size` only this image references (removing it alone frees this). */
  uniqueSize: number;
  /** The unpacked layers alone (docker's SIZE column of `c images`). */
  unpackedSize: number;
  /** Containers (and image mounts) built on it. */
  containers: number;
}

/** One container's writable layer in `df()`. */
export interface ContainerDiskUsage {
  id: string;
  /** Its active snapshot's key. */
  snapshot: string;
  /** Bytes of its writable layer. */
  size: number;
  /** The image id, when known. */
  imageId?: string;
}

export interface DiskUsage {
  images: ImageDiskUsage[];
  containers: ContainerDiskUsage[];
  /** c has no build cache yet: always zero, kept so `df` shows docker's three rows. */
  buildCache: { count: number; size: number; reclaimable: number };
  totals: {
    /** `size`: every blob and committed snapshot; `reclaimable`: exactly what `prune({ all: true })` frees now. */
    images: { count: number; active: number; size: number; reclaimable: number };
    containers: { count: number; size: number };
  };
  /** What `prune()` without `all` frees now: blobs and snapshots no image, container or lease references. */
  unreferenced: number;
}

export interface PruneResult {
  /** Docker's shape: the names untagged and the image ids deleted. */
  ImagesDeleted: RemoveResultItem[];
  /** Bytes freed (blobs, unpacked layers, stale ingests). */
  SpaceReclaimed: number;
}

export interface MountResult {
  id: string;
  /** Host path of the read-only rootfs. */
  path: string;
  /** Outstanding mounts of this image after the call (0 after the last unmount). */
  count: number;
}
