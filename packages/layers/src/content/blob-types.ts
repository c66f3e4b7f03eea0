/**
 * The blob interfaces the store implements. They are defined in @c/image (src/content.ts); until that
 * package exports them, this file mirrors them structurally so both sides stay assignable.
 */
import type { Readable } from 'node:stream';

export interface BlobIngest {
  readonly offset: number;
  write(chunk: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

export interface BlobStoreContract {
  has(digest: string): Promise<boolean>;
  ingest(digest: string, expectedSize: number): Promise<BlobIngest>;
  size(digest: string): Promise<number>;
  open(digest: string): Promise<Readable>;
  read(digest: string): Promise<Uint8Array>;
}
