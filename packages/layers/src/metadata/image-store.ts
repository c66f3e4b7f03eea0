/**
 * The image store: name → image record in one JSON file (<C_ROOT>/images.json), leases in a second one next to
 * it (lease-file.ts). Every change is a read-modify-write of both under one cross-process file lock and lands
 * with atomic renames, so concurrent processes lose no update and a crash leaves the old file or the new one.
 * Records are written durably (fsync) and only when they change; process-bound leases are not (they cannot
 * outlive a crash anyway), so a pull pays for one durable write: its record, with its lease released.
 * Lookups (get, list, findByDigest) read images.json alone, synchronously, through a cache that one stat(2)
 * validates (util/file-cache.ts), so a record changed by another process is seen at once; they hand out copies.
 */
import { randomBytes } from 'node:crypto';
import { CError } from '@c/errors';
import { isLockTimeout } from '../content/hold-lock';
import { readTextFileSync, withFileLock, writeFileAtomic } from '../util/atomic';
import { FileCache } from '../util/file-cache';
import { leaseFilePath, readLeaseFile, writeLeaseFile } from './lease-file';
import { processStartTime, sameProcessAlive } from '../util/process-identity';
import {
  checkImageName,
  checkLeaseDigests,
  checkLeaseId,
  checkNewRecord,
  imageIdOf,
  type ImageRecord,
  type Lease,
  type NewImageRecord,
} from './records';

/** The file's shape. `version` changes when the shape does. */
interface ImageDb {
  version: 1;
  images: Record<string, ImageRecord>;
  leases: Record<string, Lease>;
}

/** A consistent view of the store, as read under its lock. */
export interface ImageStoreSnapshot {
  images: ImageRecord[];
  /** Leases still in force (not expired, owner alive). */
  leases: Lease[];
}

export interface ImageMatch {
  /** The image ID (config digest, or manifest digest when the config is not recorded). */
  id: string;
  /** Every name that points at this image. */
  records: ImageRecord[];
}

export interface LeaseOptions {
  /** How long the lease lasts from now (default 1 hour). Acquiring again extends it. */
  ttlMs?: number;
  /** End the lease when this process exits (default true). */
  bindToProcess?: boolean;
}

export interface PutOptions {
  /** Ends this lease in the same locked update, once the record is durable (a pull's last step). */
  releaseLease?: string;
}

export interface ImageStoreOptions {
  /** How long a writer waits for the file lock (default 30 s). */
  lockTimeoutMs?: number;
  /** The clock, for tests of lease expiry (and of when images.json has settled enough to be cached). */
  now?: () => number;
}

const DEFAULT_LEASE_TTL_MS = 60 * 60_000;
const HEX_PREFIX_RE = /^[a-f0-9]{1,128}$/;

export class ImageStore {
  readonly path: string;
  /** Where the leases are (`images.leases.json` next to `images.json`). */
  readonly leasesPath: string;
  readonly #lockPath: string;
  readonly #lockTimeoutMs: number;
  readonly #now: () => number;
  readonly #records: FileCache<ImageDb>;

  constructor(path: string, options: ImageStoreOptions = {}) {
    this.path = path;
    this.leasesPath = leaseFilePath(path);
    this.#lockPath = `${path}.lock`;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
    this.#now = options.now ?? Date.now;
    this.#records = new FileCache(path, undefined, this.#now);
  }

  async get(name: string): Promise<ImageRecord | undefined> {
    checkImageName(name);
    const record = this.#cachedRecords().images[name];
    return record === undefined ? undefined : structuredClone(record);
  }

  /** All records, sorted by name. */
  async list(): Promise<ImageRecord[]> {
    return structuredClone(sortedImages(this.#cachedRecords()));
  }

  /**
   * Creates or replaces the record of `input.name`; keeps the original createdAt when replacing. With
   * `releaseLease`, ends that lease in the same update (after the record is on disk).
   */
  async put(input: NewImageRecord, options: PutOptions = {}): Promise<ImageRecord> {
    const checked = checkNewRecord(input);
    const releasing = options.releaseLease === undefined ? undefined : checkLeaseId(options.releaseLease);
    return this.#update((db) => {
      if (releasing !== undefined) delete db.leases[releasing];
      const now = new Date(this.#now()).toISOString();
      const previous = db.images[checked.name];
      const record: ImageRecord = {
        name: checked.name,
        target: checked.target,
        createdAt: checked.createdAt ?? previous?.createdAt ?? now,
        updatedAt: now,
      };
      if (checked.indexDigest !== undefined) record.indexDigest = checked.indexDigest;
      if (checked.configDigest !== undefined) record.configDigest = checked.configDigest;
      db.images[checked.name] = record;
      return record;
    });
  }

  /** Removes a name and returns what it pointed at; NOT_FOUND (Docker's wording) when absent. */
  async delete(name: string): Promise<ImageRecord> {
    checkImageName(name);
    return this.#update((db) => {
      const record = db.images[name];
      if (!record) throw noSuchImage(name);
      delete db.images[name];
      return record;
    });
  }

  /**
   * Finds an image by ID or digest: a full digest matches an image's config, manifest or index digest; a
   * shorter hex prefix (with or without `sha256:`) matches image IDs. Undefined when nothing matches;
   * INVALID_ARGUMENT when the prefix fits more than one image.
   */
  async findByDigest(prefixOrDigest: string): Promise<ImageMatch | undefined> {
    const { algorithm, hex } = splitPrefix(prefixOrDigest);
    const full = algorithm !== undefined && isFullLength(algorithm, hex) ? `${algorithm}:${hex}` : undefined;
    const byId = new Map<string, ImageRecord[]>();
    for (const record of sortedImages(this.#cachedRecords())) {
      const id = imageIdOf(record);
      const matches = full
        ? [record.configDigest, record.target.digest, record.indexDigest].includes(full)
        : id.slice(id.indexOf(':') + 1).startsWith(hex) && (algorithm === undefined || id.startsWith(`${algorithm}:`));
      if (matches) byId.set(id, [...(byId.get(id) ?? []), record]);
    }
    if (byId.size > 1) {
      throw new CError('INVALID_ARGUMENT', `image ID prefix "${prefixOrDigest}" matches ${byId.size} images`, {
        hint: 'give more characters of the ID, or the image name',
        details: { prefix: prefixOrDigest, ids: [...byId.keys()] },
      });
    }
    const [entry] = byId;
    return entry ? { id: entry[0], records: structuredClone(entry[1]) } : undefined;
  }

  /**
   * Takes (or extends) a lease on `digests` for an operation in flight, so GC keeps them even before an image
   * record refers to them. Acquiring an existing id adds the digests and renews the expiry.
   */
  async acquireLease(id: string, digests: readonly string[], options: LeaseOptions = {}): Promise<Lease> {
    checkLeaseId(id);
    const checked = checkLeaseDigests(digests);
    const ttl = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    if (!Number.isFinite(ttl) || ttl <= 0) {
      throw new CError('INVALID_ARGUMENT', `lease ttl ${ttl} ms for ${id} is not a positive duration`, { details: { id } });
    }
    return this.#update((db) => {
      const now = this.#now();
      const previous = db.leases[id];
      const lease: Lease = {
        id,
        digests: [...new Set([...(previous && this.#leaseActive(previous) ? previous.digests : []), ...checked])].sort(),
        createdAt: previous?.createdAt ?? new Date(now).toISOString(),
        expiresAt: new Date(now + ttl).toISOString(),
      };
      if (options.bindToProcess ?? true) {
        lease.pid = process.pid;
        const startTime = processStartTime(process.pid);
        if (startTime !== undefined) lease.pidStartTime = startTime;
      }
      db.leases[id] = lease;
      return lease;
    });
  }

  /** Ends a lease; false when there was none. */
  async releaseLease(id: string): Promise<boolean> {
    checkLeaseId(id);
    return this.#update((db) => {
      const existed = id in db.leases;
      delete db.leases[id];
      return existed;
    });
  }

  /**
   * Runs `fn` under a fresh lease on `digests` and releases it afterwards, even on failure. `fn` gets the
   * lease id, to add digests as it learns them (a pull learns the layers after the manifest).
   */
  async withLease<T>(
    prefix: string,
    digests: readonly string[],
    fn: (leaseId: string) => Promise<T>,
    options: LeaseOptions = {},
  ): Promise<T> {
    const id = checkLeaseId(`${prefix}-${randomBytes(6).toString('hex')}`);
    await this.acquireLease(id, digests, options);
    try {
      return await fn(id);
    } finally {
      await this.releaseLease(id);
    }
  }

  /** Leases still in force. */
  async listLeases(): Promise<Lease[]> {
    return this.#activeLeases(this.#load().db);
  }

  /**
   * Runs `fn` with a consistent snapshot while holding the store's lock, so no record or lease changes until
   * it returns (GC marks and sweeps inside this). `fn` must not call this store's writing methods: the lock
   * is not re-entrant.
   */
  async withLock<T>(fn: (snapshot: ImageStoreSnapshot) => Promise<T>): Promise<T> {
    return this.#locked(async () => {
      const { db } = this.#load();
      return fn({ images: sortedImages(db), leases: this.#activeLeases(db) });
    });
  }

  #leaseActive(lease: Lease): boolean {
    if (Date.parse(lease.expiresAt) <= this.#now()) return false;
    return lease.pid === undefined || sameProcessAlive(lease.pid, lease.pidStartTime);
  }

  #activeLeases(db: ImageDb): Lease[] {
    return Object.values(db.leases)
      .filter((lease) => this.#leaseActive(lease))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async #update<T>(change: (db: ImageDb) => T): Promise<T> {
    return this.#locked(async () => {
      const { db, inRecordsFile } = this.#load();
      const imagesBefore = JSON.stringify(db.images);
      const leasesBefore = { ...db.leases };
      const result = change(db);
      // Leases that ended are dropped on every write, so the file does not grow with dead pulls.
      for (const [id, lease] of Object.entries(db.leases)) if (!this.#leaseActive(lease)) delete db.leases[id];
      const changed = changedLeases(leasesBefore, db.leases);
      const leasesChanged = changed.length > 0 || Object.keys(leasesBefore).some((id) => !(id in db.leases));
      // Leases an older c kept in images.json move to the lease file the first time either file is written.
      const writeRecords = JSON.stringify(db.images) !== imagesBefore || (inRecordsFile && leasesChanged);
      if (writeRecords) {
        await writeFileAtomic(this.path, `${JSON.stringify({ version: 1, images: db.images, leases: {} }, null, 1)}\n`);
      }
      if (leasesChanged || (inRecordsFile && writeRecords)) {
        // Only a lease that outlives its process needs to survive a crash (and moved ones, to be safe).
        const durable = inRecordsFile || changed.some((lease) => lease.pid === undefined);
        await writeLeaseFile(this.leasesPath, db.leases, durable);
      }
      return result;
    });
  }

  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await withFileLock(this.#lockPath, fn, this.#lockTimeoutMs);
    } catch (error) {
      if (error instanceof CError) throw error;
      if (isLockTimeout(error)) {
        throw new CError('UNAVAILABLE', `the image store ${this.path} is locked by another process`, {
          cause: error,
          hint: 'another c command is updating images; retry when it finishes',
          details: { lockPath: this.#lockPath },
        });
      }
      throw new CError('SYSCALL', `cannot update the image store ${this.path}: ${(error as Error).message}`, {
        cause: error,
        hint: 'check that C_ROOT exists, is a directory and is writable',
        details: { path: this.path, errno: (error as NodeJS.ErrnoException).code },
      });
    }
  }

  /**
   * Records and leases as one view, read from disk (callers change it); `inRecordsFile` says images.json still
   * holds leases (an older c's).
   */
  #load(): { db: ImageDb; inRecordsFile: boolean } {
    const records = this.#readRecords((parse) => parse(readTextFileSync(this.path)));
    const leases = readLeaseFile(this.leasesPath);
    const inRecordsFile = Object.keys(records.leases).length > 0;
    return { db: { version: 1, images: records.images, leases: { ...records.leases, ...leases } }, inRecordsFile };
  }

  /** The records for lookups: shared with later lookups until the file changes, so never handed out as is. */
  #cachedRecords(): ImageDb {
    return this.#readRecords((parse) => this.#records.read(parse));
  }

  /** Reads images.json through `read` (from disk or the cache), checking its shape once per version. */
  #readRecords(read: (parse: (text: string | undefined) => ImageDb) => ImageDb): ImageDb {
    try {
      return read((text) => this.#parseRecords(text));
    } catch (error) {
      if (error instanceof CError) throw error;
      throw corrupt(this.path, error instanceof Error ? error.message : String(error), error);
    }
  }

  #parseRecords(text: string | undefined): ImageDb {
    if (text === undefined) return { version: 1, images: {}, leases: {} };
    const raw = JSON.parse(text) as unknown;
    if (typeof raw !== 'object' || raw === null) throw corrupt(this.path, 'not a JSON object');
    const db = raw as Partial<ImageDb>;
    if (db.version !== 1) {
      throw new CError('UNSUPPORTED', `image store ${this.path} has version ${String(db.version)}, this c reads version 1`, {
        hint: 'use the c release that wrote it, or move the file aside',
        details: { path: this.path, version: db.version },
      });
    }
    if (!isPlainObject(db.images) || !isPlainObject(db.leases)) throw corrupt(this.path, 'images or leases missing');
    return { version: 1, images: db.images as ImageDb['images'], leases: db.leases as ImageDb['leases'] };
  }
}

/** Leases of `after` that are new or differ from `before`. */
function changedLeases(before: Record<string, Lease>, after: Record<string, Lease>): Lease[] {
  return Object.entries(after)
    .filter(([id, lease]) => JSON.stringify(before[id]) !== JSON.stringify(lease))
    .map(([, lease]) => lease);
}

function sortedImages(db: ImageDb): ImageRecord[] {
  return Object.values(db.images).sort((a, b) => a.name.localeCompare(b.name));
}

function splitPrefix(value: string): { algorithm?: string; hex: string } {
  const colon = value.indexOf(':');
  const algorithm = colon === -1 ? undefined : value.slice(0, colon);
  const hex = colon === -1 ? value : value.slice(colon + 1);
  if ((algorithm !== undefined && algorithm !== 'sha256' && algorithm !== 'sha512') || !HEX_PREFIX_RE.test(hex)) {
    throw new CError('INVALID_ARGUMENT', `"${value.slice(0, 140)}" is not an image ID or digest`, {
      hint: 'give an image ID (hex, optionally prefixed with sha256:) or a full digest',
      details: { value },
    });
  }
  return algorithm === undefined ? { hex } : { algorithm, hex };
}

function isFullLength(algorithm: string, hex: string): boolean {
  return (algorithm === 'sha256' && hex.length === 64) || (algorithm === 'sha512' && hex.length === 128);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function noSuchImage(name: string): CError {
  return new CError('NOT_FOUND', `No such image: ${name}`, {
    hint: 'list local images with `c images`',
    details: { name },
  });
}

function corrupt(path: string, why: string, cause?: unknown): CError {
  return new CError('INTERNAL', `image store ${path} is unreadable: ${why}`, {
    cause,
    hint: 'restore the file from a backup or move it aside (images will have to be pulled again)',
    details: { path },
  });
}
