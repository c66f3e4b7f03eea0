/**
 * `c image mount` / `unmount` (podman's): a read-only View snapshot on the image's top ChainID, mounted at
 * `<mounts>/<image id hex>`, reference-counted across callers. The counts live in `<mounts>/mounts.json`, changed
 * only under a file lock, so two CLI processes (or the daemon and a CLI) agree on when the last user leaves.
 * The view is an active-kind snapshot for GC: while mounted, the image's layers cannot be collected.
 */
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CError, isCError } from '@c/errors';
import { readJsonFile, withFileLock, writeFileAtomic, type Mount, type Snapshotter } from '@c/layers';
import type { MountPort } from './ports';
import { IMAGE_ID_LABEL } from './storage';

export interface ImageMount {
  /** Image id (config digest). */
  id: string;
  /** Where the read-only rootfs is mounted. */
  path: string;
  /** The view snapshot's key. */
  snapshot: string;
  /** How many mounts are outstanding; the last unmount removes the view. */
  count: number;
}

interface MountsFile {
  version: 1;
  mounts: Record<string, ImageMount>;
}

const EMPTY: MountsFile = { version: 1, mounts: {} };
export const IMAGE_MOUNT_PREFIX = 'image-mount-';

const hexOf = (id: string) => id.slice(id.indexOf(':') + 1);

/** The same mount made read-only whatever the snapshotter returned (a view is ro already; be sure). */
export function readOnly(mount: Mount): Mount {
  const options = mount.options.filter((o) => o !== 'rw' && o !== 'ro');
  return { ...mount, options: [...options, 'ro'] };
}

export class ImageMounts {
  private readonly file: string;
  private readonly lock: string;

  constructor(
    private readonly root: string,
    private readonly snapshotter: Snapshotter,
    private readonly mounter: MountPort,
  ) {
    this.file = join(root, 'mounts.json');
    this.lock = join(root, 'mounts.lock');
  }

  /** Mounts (or counts one more user of) the view of `chainId` for image `id`. */
  async acquire(id: string, chainId: string): Promise<ImageMount> {
    return this.locked(async (db) => {
      const existing = db.mounts[id];
      if (existing) {
        existing.count++;
        return { ...existing };
      }
      const snapshot = `${IMAGE_MOUNT_PREFIX}${hexOf(id)}`;
      const path = join(this.root, hexOf(id));
      let mounts: Mount[];
      try {
        mounts = await this.snapshotter.view(snapshot, chainId, { labels: { [IMAGE_ID_LABEL]: id } });
      } catch (error) {
        // A view left by a crash between view() and writing mounts.json: reuse it.
        if (!isCError(error, 'CONFLICT')) throw error;
        mounts = await this.snapshotter.mounts(snapshot);
      }
      const root = mounts[0];
      if (mounts.length !== 1 || root === undefined) {
        throw new CError('UNSUPPORTED', `the view of image ${id} needs ${mounts.length} mounts; c mounts one`, {
          hint: 'use the overlay or copy snapshotter',
          details: { image: id },
        });
      }
      await mkdir(path, { recursive: true });
      try {
        await this.mounter.mount(readOnly(root), path);
      } catch (cause) {
        await rmdir(path).catch(() => undefined);
        await this.snapshotter.remove(snapshot).catch(() => undefined);
        throw new CError('SYSCALL', `cannot mount image ${id} on ${path}`, {
          cause,
          hint: 'run as root; check dmesg for overlayfs errors',
          details: { path, image: id },
        });
      }
      const entry: ImageMount = { id, path, snapshot, count: 1 };
      db.mounts[id] = entry;
      return { ...entry };
    });
  }

  /**
   * One user fewer (every user with `all`); the last one unmounts and removes the view. Returns the entry with
   * its remaining count (0 = unmounted). NOT_FOUND when the image is not mounted.
   */
  async release(id: string, options: { all?: boolean } = {}): Promise<ImageMount> {
    return this.locked(async (db) => {
      const entry = db.mounts[id];
      if (!entry) {
        throw new CError('NOT_FOUND', `image ${id} is not mounted`, { hint: 'list mounted images with `c image mount`', details: { image: id } });
      }
      entry.count = options.all ? 0 : entry.count - 1;
      if (entry.count > 0) return { ...entry };
      await this.mounter.unmount(entry.path);
      await rmdir(entry.path).catch(() => undefined);
      await this.snapshotter.remove(entry.snapshot).catch((error: unknown) => {
        if (!isCError(error, 'NOT_FOUND')) throw error;
      });
      delete db.mounts[id];
      return { ...entry, count: 0 };
    });
  }

  async list(): Promise<ImageMount[]> {
    const db = await readJsonFile<MountsFile>(this.file, EMPTY);
    return Object.values(db.mounts).sort((a, b) => a.id.localeCompare(b.id));
  }

  private async locked<T>(fn: (db: MountsFile) => Promise<T>): Promise<T> {
    await mkdir(this.root, { recursive: true });
    return withFileLock(this.lock, async () => {
      const db = structuredClone(await readJsonFile<MountsFile>(this.file, EMPTY));
      // Written only when fn succeeded: each step undoes its own partial work on failure.
      const result = await fn(db);
      await writeFileAtomic(this.file, JSON.stringify(db));
      return result;
    });
  }
}
