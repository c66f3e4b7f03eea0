/**
 * What the image service needs from its collaborators, written as narrow structural interfaces: the real
 * implementations live in @c/layers (ContentStore, ImageStore) and @c/registry-client (RegistryClient), and the
 * unit tests hand in in-memory fakes.
 */
import type { Readable } from 'node:stream';
import type { BlobIngest, BlobSink, BlobStore, Descriptor, Platform, Reference } from '@c/image';
import type { GcPlan, GcUsage, Mount } from '@c/layers';

/** Blobs by digest: the BlobStore seam plus enumeration and deletion. */
export interface ContentPort extends BlobStore {
  /**
   * Opens the write of a blob. `writeBatchBytes` lets the store gather that many bytes of writes before it
   * writes them at once (the pull's network chunks are 16-64 KiB); a store may ignore it.
   */
  ingest(digest: string, expectedSize: number, options?: { writeBatchBytes?: number }): Promise<BlobIngest>;
  delete?(digest: string): Promise<unknown>;
}

/** One named image in the local store. */
export interface ImageRecord {
  /** Full normalized reference: `docker.io/library/busybox:latest` or `…/busybox@sha256:…`. */
  name: string;
  /** The platform manifest this name points at. */
  target: Descriptor;
  /** The index the manifest was selected from, when the name resolved to an index. */
  indexDigest?: string;
  /** The config digest (docker's image id), when the writer knew it. */
  configDigest?: string;
  createdAt: string;
  updatedAt: string;
}

export interface ImageRecordPort {
  get(name: string): Promise<ImageRecord | undefined>;
  list(): Promise<ImageRecord[]>;
  /** Records a name; with `releaseLease`, ends that lease in the same update, once the record is stored. */
  put(record: ImageRecord, options?: { releaseLease?: string }): Promise<unknown>;
  delete(name: string): Promise<unknown>;
  acquireLease?(id: string, digests: string[]): Promise<unknown>;
  releaseLease?(id: string): Promise<unknown>;
}

/** A progress event of a registry transfer, as the registry client reports it. */
export interface TransferProgress {
  id: string;
  status: string;
  current?: number;
  total?: number;
  digest?: string;
  /** What the blob is: layer, config, manifest, index. */
  kind?: string;
}

export interface PulledImagePort {
  manifestDigest: string;
  indexDigest?: string;
  configDigest: string;
  manifest: { mediaType?: string; layers: Descriptor[]; config: Descriptor };
}

/** Credentials for one registry, as @c/registry-client's CredentialStore hands them out. */
export interface RegistryCallCredentials {
  username?: string;
  password?: string;
  identityToken?: string;
}

/** @c/registry-client's CredentialStore: credentials by registry host. */
export interface CallCredentialStore {
  get(registry: string): Promise<RegistryCallCredentials | undefined>;
}

export interface RegistryPort {
  /** `credentials`: for this call only (anonymous when absent, unless the port has its own). */
  pull(
    ref: Reference,
    sink: BlobSink,
    options: { platform?: Platform; onProgress?: (event: TransferProgress) => void; signal?: AbortSignal; credentials?: CallCredentialStore },
  ): Promise<PulledImagePort>;
  push(
    ref: Reference,
    source: BlobStore,
    root: Descriptor,
    options: { onProgress?: (event: TransferProgress) => void; signal?: AbortSignal; credentials?: CallCredentialStore },
  ): Promise<unknown>;
  login(registry: string, credentials: { username: string; password: string }): Promise<unknown>;
}

/** Writes and removes saved registry credentials (docker's config.json). */
export interface CredentialWriterPort {
  save(registry: string, credentials: { username: string; password: string }): Promise<unknown>;
  /** Resolves true when credentials were stored for `registry`. */
  remove(registry: string): Promise<boolean>;
}

/** Anything that can be read as a byte stream (a tarball on disk, stdin). */
export type ByteSource = Readable | AsyncIterable<Uint8Array>;

/** GC of the store (blobs and snapshots): what would be freed, and freeing it. @c/layers' GarbageCollector. */
export interface GarbagePort {
  /** `without`: image records to count as deleted (what pruning them would free). */
  usage(options?: { without?: (record: ImageRecord) => boolean }): Promise<GcUsage>;
  collect(): Promise<{ removed: GcPlan }>;
}

/** Performs and undoes the mounts of an image view (mount(8) on the host; a fake in unit tests). */
export interface MountPort {
  mount(mount: Mount, target: string): Promise<void>;
  unmount(target: string): Promise<void>;
}
