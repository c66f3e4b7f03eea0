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

export interface PullOptions {
  platform?: Platform | string;
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
  /** Sum of compressed layer sizes, in bytes. */
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
  platform?: Platform;
}

export interface ImportResult {
  id: string;
  manifestDigest: string;
  reference: string;
}

export type { ImageInspect };
