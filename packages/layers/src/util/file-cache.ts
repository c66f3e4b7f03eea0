/**
 * One small file's parsed content, kept while the file is unchanged. Every read costs one stat(2); the file is
 * read and parsed again when its inode, size, mtime or ctime differ from the cached version's. Our files are
 * replaced by rename (a new inode), but an inode number can be reused and timestamps are coarse (one jiffy), so
 * a version is cached only once its ctime (any change, rename included) is `settleMs` in the past: "racy"
 * versions, as git calls them, are read again every time. A later write then always carries a newer ctime than
 * the cached version, which makes the cache safe against writers in other processes (the CLI without a daemon,
 * a second daemon on the same root).
 */
import { statSync } from 'node:fs';
import { readTextFileSync } from './atomic';
import { fileVersion } from './file-version';

/** How long after its last change a file version may be cached. */
export const SETTLE_MS = 1000;

export class FileCache<T> {
  #entry: { version: string; value: T } | undefined;

  constructor(
    readonly path: string,
    readonly settleMs = SETTLE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * `parse(text)` of the file, or `parse(undefined)` when it does not exist. The value is shared between
   * callers: they must not change it.
   */
  read(parse: (text: string | undefined) => T): T {
    const st = statSync(this.path, { bigint: true, throwIfNoEntry: false });
    if (st === undefined) {
      this.#entry = undefined;
      return parse(undefined);
    }
    const version = fileVersion(st);
    if (this.#entry?.version === version) return this.#entry.value;
    const text = readTextFileSync(this.path);
    if (text === undefined) {
      this.#entry = undefined;
      return parse(undefined);
    }
    // Read after the stat: if the file was replaced in between, the next stat differs and reads it again.
    const value = parse(text);
    const settled = this.now() - Number(st.ctimeNs / 1_000_000n) >= this.settleMs;
    this.#entry = settled ? { version, value } : undefined;
    return value;
  }

  /** Forgets the cached version (after this process replaced the file, or to test). */
  clear(): void {
    this.#entry = undefined;
  }
}
