/**
 * Small blobs (manifests, configs) kept in memory by digest, least recently used out first. A blob's bytes never
 * change (they hash to its name), so an entry can only go stale by the file being deleted or damaged: each hit
 * is checked against the file's stat (inode, size, mtime, ctime), taken anyway to see that the blob is there.
 */

export class BlobCache {
  readonly #entries = new Map<string, { version: string; bytes: Uint8Array }>();
  #bytes = 0;

  /** `maxBytes` bounds the sum of the cached blobs; a blob over `maxEntryBytes` is never cached. */
  constructor(
    readonly maxBytes: number,
    readonly maxEntryBytes: number,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** A copy of the cached bytes when the file is still the version they were read from. */
  get(digest: string, version: string): Uint8Array | undefined {
    const entry = this.#entries.get(digest);
    if (entry === undefined) return undefined;
    if (entry.version !== version) {
      this.delete(digest);
      return undefined;
    }
    this.#entries.delete(digest); // re-inserted last: most recently used
    this.#entries.set(digest, entry);
    // A copy: callers may write into what read() returns.
    return entry.bytes.slice();
  }

  set(digest: string, version: string, bytes: Uint8Array): void {
    if (bytes.byteLength > this.maxEntryBytes || bytes.byteLength > this.maxBytes) return;
    this.delete(digest);
    this.#entries.set(digest, { version, bytes: bytes.slice() });
    this.#bytes += bytes.byteLength;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes.byteLength;
    }
  }

  delete(digest: string): void {
    const entry = this.#entries.get(digest);
    if (entry === undefined) return;
    this.#entries.delete(digest);
    this.#bytes -= entry.bytes.byteLength;
  }
}
