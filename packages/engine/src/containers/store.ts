/**
 * Container records on disk: `<containers>/<id>/config.v2.json`, replaced atomically (temp file + rename), so a
 * crash leaves the old or the new record, never a torn one.
 *
 * Nothing here waits for the disk on the caller's thread: a durable write's fsync runs on libuv's thread pool
 * (the daemon's event loop serves other starts meanwhile), and a removed container's files are deleted there too.
 * Writes of one record may overlap (a fast container exits while its create's fsync is in flight); the newest
 * write always wins: an older one still waiting for its fsync drops its temp file instead of renaming it.
 */
import { closeSync, existsSync, fsync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { ContainerRecord } from './types';

export const RECORD_FILE = 'config.v2.json';

/**
 * Whether `path` holds a record. An empty file does not: a record is never written empty, so it is a first write
 * (`writeNew`: renamed into place before its fsync) that a power loss cut before its data reached the disk. Its
 * container died with the machine; the directory then goes as an abandoned create.
 */
function hasRecord(path: string): boolean {
  try {
    return statSync(path).size > 0;
  } catch {
    return false;
  }
}
/** Where a removed container's directory waits for its deletion (a name no container id can have). */
const REMOVED_PREFIX = '.removed-';

const fsyncAsync = promisify(fsync);
const ID = /^[0-9a-f]{64}$/;

export class ContainerRecordStore {
  /** Write sequence numbers: a global counter, and per record the newest write begun (only while writes are in flight). */
  private sequence = 0;
  private readonly newest = new Map<string, { seq: number; inflight: number }>();
  /** Durable writes and deletions still running on the thread pool. */
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    readonly root: string,
    /** Where failures of background work go (a durable write nobody awaits, a deletion). */
    private readonly onError: (id: string, error: unknown) => void = () => {},
  ) {
    mkdirSync(root, { recursive: true, mode: 0o710 });
  }

  dir(id: string): string {
    if (!ID.test(id)) throw new Error(`not a container id: ${id}`);
    return join(this.root, id);
  }

  /**
   * Writes the record now (synchronously: a few µs into the page cache). `durable: false` skips the fsync for
   * states a power loss makes moot anyway (running: nothing runs after a reboot, and restore reconciles records
   * with what runs). A durable save fsyncs on the thread pool and renames after it; its failure goes to `onError`.
   * Await `write` instead where the caller promises durability.
   */
  save(record: ContainerRecord, options: { durable?: boolean } = {}): void {
    const id = record.Id;
    this.write(record, options).catch((error: unknown) => this.onError(id, error));
  }

  /**
   * The record on disk: resolved once it is renamed into place (after its fsync unless `durable: false`), or
   * once a newer write of the same record has replaced it. A non-durable write is done before this returns.
   */
  write(record: ContainerRecord, options: { durable?: boolean } = {}): Promise<void> {
    const id = record.Id;
    const path = join(this.dir(id), RECORD_FILE);
    // Serialised now: later changes to the live record belong to later writes.
    const text = JSON.stringify(record);
    const seq = ++this.sequence;
    const temp = `${path}.tmp-${seq}`;
    if (options.durable === false) {
      try {
        this.writeTemp(temp, text, false);
        renameSync(temp, path);
      } catch (error) {
        return Promise.reject(error);
      }
      // Any older write still in flight is superseded.
      const slot = this.newest.get(id);
      if (slot !== undefined) slot.seq = seq;
      return Promise.resolve();
    }
    let fd: number;
    try {
      fd = this.writeTemp(temp, text, true);
    } catch (error) {
      return Promise.reject(error);
    }
    const slot = this.newest.get(id) ?? { seq, inflight: 0 };
    slot.seq = seq;
    slot.inflight += 1;
    this.newest.set(id, slot);
    const written = fsyncAsync(fd)
      .finally(() => closeSync(fd))
      .then(() => {
        if (slot.seq === seq) renameSync(temp, path);
        else removeQuietly(temp); // a newer write is (or will be) in place
      })
      .catch((error: unknown) => {
        removeQuietly(temp);
        // Removed meanwhile: nothing to write to, nothing lost.
        if (slot.seq !== -1) throw error;
      })
      .finally(() => {
        slot.inflight -= 1;
        if (slot.inflight === 0 && this.newest.get(id) === slot) this.newest.delete(id);
      });
    this.track(written);
    return written;
  }

  /**
   * A new record's first write when its container starts at once: in place when this returns (written and renamed
   * now), fsynced on the thread pool after; resolved once the fsync is done. The start need not wait for the disk,
   * and nothing is lost meanwhile: a crash of this process keeps the page cache, so a restarted engine finds the
   * record; a power loss before the fsync ends stops the container too, and the caller has not yet answered with
   * its Id (it awaits this first). Only for a record's first write: renaming before the fsync must never replace a
   * durable record with one a power loss could tear. Throws if the record cannot be written or renamed.
   */
  writeNew(record: ContainerRecord): Promise<void> {
    const id = record.Id;
    const path = join(this.dir(id), RECORD_FILE);
    const temp = `${path}.tmp-${++this.sequence}`;
    const fd = this.writeTemp(temp, JSON.stringify(record), true);
    try {
      renameSync(temp, path);
    } catch (error) {
      closeSync(fd);
      removeQuietly(temp);
      throw error;
    }
    // Superseding any write still in flight (there is none for a new record, but the rule stays one rule).
    const slot = this.newest.get(id);
    if (slot !== undefined) slot.seq = this.sequence;
    const written = fsyncAsync(fd).finally(() => closeSync(fd));
    this.track(written);
    return written;
  }

  private track(work: Promise<unknown>): void {
    const settled: Promise<unknown> = work.then(
      () => this.background.delete(settled),
      () => this.background.delete(settled),
    );
    this.background.add(settled);
  }

  /** Opens (creating the record's directory on first use), writes and, unless `keepOpen`, closes the temp file. */
  private writeTemp(temp: string, text: string, keepOpen: true): number;
  private writeTemp(temp: string, text: string, keepOpen: false): void;
  private writeTemp(temp: string, text: string, keepOpen: boolean): number | void {
    let fd: number;
    try {
      fd = openSync(temp, 'w', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(dirname(temp), { recursive: true, mode: 0o710 });
      fd = openSync(temp, 'w', 0o644);
    }
    try {
      const bytes = Buffer.from(text);
      for (let done = 0; done < bytes.byteLength; ) done += writeSync(fd, bytes, done, bytes.byteLength - done);
    } catch (error) {
      closeSync(fd);
      removeQuietly(temp);
      throw error;
    }
    if (keepOpen) return fd;
    closeSync(fd);
  }

  /**
   * Every readable record; unreadable ones are reported through `onError` and left on disk. An empty record file is
   * no record (see hasRecord).
   */
  loadAll(onError: (id: string, error: unknown) => void = () => {}): ContainerRecord[] {
    if (!existsSync(this.root)) return [];
    const out: ContainerRecord[] = [];
    for (const id of readdirSync(this.root)) {
      if (id.startsWith(REMOVED_PREFIX)) {
        // Renamed away by a remove whose deletion a crash interrupted: finish it.
        this.deleteInBackground(id, join(this.root, id));
        continue;
      }
      if (!ID.test(id)) continue;
      const path = join(this.root, id, RECORD_FILE);
      if (!hasRecord(path)) continue;
      try {
        out.push(JSON.parse(readFileSync(path, 'utf8')) as ContainerRecord);
      } catch (error) {
        onError(id, error);
      }
    }
    return out;
  }

  /**
   * Container directories without a record, untouched for `graceMs`: creates a crash cut short before the record
   * was written or made durable (a younger one may be a create in flight in another process on this root).
   */
  abandoned(graceMs: number, now = Date.now()): string[] {
    if (!existsSync(this.root)) return [];
    const out: string[] = [];
    for (const id of readdirSync(this.root)) {
      if (!ID.test(id) || hasRecord(join(this.root, id, RECORD_FILE))) continue;
      try {
        if (now - statSync(join(this.root, id)).mtimeMs >= graceMs) out.push(id);
      } catch {
        // gone meanwhile
      }
    }
    return out;
  }

  /**
   * The container's directory is gone from its place when this returns (one rename), and deleted on the thread
   * pool afterwards (`settled()` waits for that); a restarted engine finishes deletions a crash interrupted.
   */
  remove(id: string): void {
    const dir = this.dir(id);
    // Writes still waiting for their fsync must not rename into the directory again.
    const slot = this.newest.get(id);
    if (slot !== undefined) slot.seq = -1;
    const away = join(this.root, `${REMOVED_PREFIX}${id}-${++this.sequence}`);
    try {
      renameSync(dir, away);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      // A rename refused (EBUSY, EXDEV...): delete it in place, as before.
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    this.deleteInBackground(id, away);
  }

  private deleteInBackground(id: string, path: string): void {
    this.track(rm(path, { recursive: true, force: true, maxRetries: 3 }).catch((error: unknown) => this.onError(id, error)));
  }

  /** Resolves once every durable write and deletion begun so far (and any begun meanwhile) has finished. */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already (its directory was removed)
  }
}
