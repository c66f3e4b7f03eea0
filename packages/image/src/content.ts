/**
 * The seam between what moves blobs (the registry client, import, build) and what keeps them (the content
 * store in @c/layers). Only types live here, so neither side depends on the other.
 */
import type { Readable } from 'node:stream';

/** `sha256:<64 hex>` or `sha512:<128 hex>`. */
export type Digest = string;

/** A write of one blob, possibly resuming bytes kept from an earlier, interrupted attempt. */
export interface BlobIngest {
  /** Bytes already held for this blob from an earlier attempt; the writer continues from here. */
  readonly offset: number;
  /** Appends bytes; the running digest is updated as they arrive. */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Checks the size and digest of everything written (the resumed prefix included) and makes the blob
   * visible atomically. Throws a `DIGEST_MISMATCH` CError (and discards the data) when they differ.
   */
  commit(): Promise<void>;
  /** Stops writing and keeps the partial data, so a later `ingest` resumes from it. */
  close(): Promise<void>;
  /** Stops writing and discards the partial data. */
  abort(): Promise<void>;
}

/** Where pulled content goes. */
export interface BlobSink {
  /** True when the complete, verified blob is present. */
  has(digest: Digest): Promise<boolean>;
  /** Opens the ingest for a blob of the given expected size (resuming one left by an earlier attempt). */
  ingest(digest: Digest, expectedSize: number): Promise<BlobIngest>;
}

/** Where pushed content comes from. */
export interface BlobSource {
  /** The size in bytes; throws a `NOT_FOUND` CError when the blob is absent. */
  size(digest: Digest): Promise<number>;
  /** A stream of the blob's bytes. */
  open(digest: Digest): Promise<Readable>;
  /** The whole blob in memory (for manifests and configs, which are small). */
  read(digest: Digest): Promise<Uint8Array>;
}

/** A content store is both. */
export interface BlobStore extends BlobSink, BlobSource {}
