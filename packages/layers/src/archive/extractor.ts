/**
 * Writes tar entries into a snapshot directory, synchronously: one entry costs a handful of syscalls and
 * no promise. Never follows a symlink (O_EXCL|O_NOFOLLOW creation, lstat walks of parents, removal of
 * whatever is in the way), and translates whiteouts to overlayfs form or applies them by deleting.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  ftruncateSync,
  futimesSync,
  chmodSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { CError, isCError } from '@c/errors';
import { copyUp, findLowerFile } from './copy-up';
import { inheritLowerAttributes } from './implicit-directories';
import type { FileWriteQueue } from './file-writes';
import { errnoOf, getXattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO, setXattr } from './xattrs';
import { RootResolver, deleteSubtree, entryComponents, unsafeEntry } from './paths';
import type { TarEntry } from './tar-format';
import type { EntrySink } from './tar-reader';
import { OVERLAY_OPAQUE_XATTR, isOverlayWhiteout, isOverlayXattr, parseWhiteout } from './whiteout';

/** How whiteouts land on disk: overlayfs's own form (upper dir of an overlay) or by deleting (full copy). */
export type WhiteoutMode = 'overlay' | 'delete';

/** What to do with character/block device entries. */
export type DevicePolicy = 'create' | 'skip' | 'reject';

export interface ExtractorOptions {
  whiteouts: WhiteoutMode;
  /** Set uid/gid from the archive (default: when running as root). */
  preserveOwnership: boolean;
  devices: DevicePolicy;
  maxEntries: number;
  /** Parent layers' dirs, nearest first, when applying into an overlay upper dir. */
  lowerRoots?: readonly string[];
  /**
   * The layers below are still being unpacked (a parallel unpack): read none of them. Implicit directories are left
   * for `inheritLowerAttributes` once they are complete, and a hard link to a file only they hold fails with
   * `needsLowerLayersError` (the layer is then applied again once they are committed).
   */
  lowerLayersPending?: boolean;
}

/** The failure of a layer applied with `lowerLayersPending` that needs its lower layers after all. */
export function needsLowerLayersError(entry: string, linkname: string): CError {
  return new CError('UNSUPPORTED', `layer entry "${entry}" is a hard link to "${linkname}", which only a lower layer can hold, and those are not unpacked yet`, {
    hint: 'apply this layer once the layers below it are committed',
    details: { entry, linkname, [NEEDS_LOWER_LAYERS]: true },
  });
}

const NEEDS_LOWER_LAYERS = 'needsLowerLayers';

/** Whether `error` is `needsLowerLayersError` (also once it crossed a worker boundary as code, message and details). */
export function needsLowerLayers(error: unknown): boolean {
  return isCError(error, 'UNSUPPORTED') && error.details[NEEDS_LOWER_LAYERS] === true;
}

export interface ExtractStats {
  entries: number;
  /** Entries or attributes dropped by policy (aufs metadata, overlay xattrs, skipped devices). */
  neutralised: number;
}

interface DeferredDirectory {
  path: string;
  dev: number;
  ino: number;
  mode: number;
  atime: number;
  mtime: number;
}

const CREATE_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const umask = process.umask();
/**
 * Files from this size on have their data written on the thread pool (when the apply provides a queue): below
 * it, the round trip costs the main thread more than the write. 64 KiB: half the bytes of a typical image in
 * 3% of its files.
 */
export const ASYNC_WRITE_FROM = 64 * 1024;

export class Extractor {
  private readonly resolver: RootResolver;
  /** Paths written by this layer: whiteouts and opaque markers must not hide them. */
  private readonly written = new Set<string>();
  /** Directory modes and times, set at the end (children change a directory's mtime). */
  private readonly directories = new Map<string, DeferredDirectory>();
  private readonly euid = process.geteuid?.() ?? -1;
  private readonly egid = process.getegid?.() ?? -1;
  private openFd: number | undefined;
  private writes: FileWriteQueue | undefined;
  readonly stats: ExtractStats = { entries: 0, neutralised: 0 };

  constructor(
    readonly root: string,
    private readonly options: ExtractorOptions,
  ) {
    this.resolver = new RootResolver(root, options.whiteouts === 'overlay');
  }

  /** The TarReader handler. */
  readonly onEntry = (entry: TarEntry): EntrySink | undefined => {
    if (++this.stats.entries > this.options.maxEntries) {
      throw new CError('LIMIT_EXCEEDED', `layer has more than ${this.options.maxEntries} entries (at "${entry.name}")`, {
        hint: 'raise maxEntries if this image is trusted',
      });
    }
    const components = entryComponents(entry.name);
    if (components.length === 0) {
      if (entry.type !== 'directory') throw unsafeEntry(entry.name, 'names the snapshot root but is not a directory');
      this.deferDirectory('', this.root, entry);
      return undefined;
    }
    const base = components[components.length - 1]!;
    const whiteout = parseWhiteout(base);
    if (whiteout) {
      this.applyWhiteout(entry, components, whiteout);
      return undefined;
    }
    const parent = this.resolver.directory(components, components.length - 1, entry.name, true)!;
    const relative = components.join('/');
    const path = `${parent}/${base}`;
    this.written.add(relative);
    switch (entry.type) {
      case 'file':
        return this.createFile(entry, path, relative);
      case 'directory':
        this.createDirectory(entry, path, relative);
        return undefined;
      case 'symlink':
        this.replaceAt(path, relative, () => symlinkSync(entry.linkname, path));
        this.setOwner(path, entry);
        this.setXattrs(path, entry);
        lutimesSync(path, entry.atime ?? entry.mtime, entry.mtime);
        return undefined;
      case 'link':
        this.createHardLink(entry, path, relative);
        return undefined;
      case 'char':
      case 'block':
      case 'fifo':
        this.createNode(entry, path, relative);
        return undefined;
    }
  };

  /**
   * Directories made only as parents of entries (relative paths). With `lowerLayersPending` they still need
   * `inheritLowerAttributes`; otherwise `finish` gave them their lower layers' attributes.
   */
  implicitDirectories(): string[] {
    return [...this.resolver.implicitDirectories];
  }

  /** Sets the deferred directory modes and times, deepest first, and implicit directories' attributes. */
  finish(): void {
    const pending = [...this.directories.values()].reverse();
    for (const dir of pending) {
      const stat = lstatSync(dir.path, { throwIfNoEntry: false });
      // Only the directory this layer made: never a symlink that replaced it later in the same layer.
      if (!stat?.isDirectory() || stat.ino !== dir.ino || stat.dev !== dir.dev) continue;
      // Most directories were created with their final mode already: one metadata write less each.
      if ((stat.mode & 0o7777) !== dir.mode) chmodSync(dir.path, dir.mode);
      utimesSync(dir.path, dir.atime, dir.mtime);
    }
    if (this.options.lowerRoots && !this.options.lowerLayersPending) inheritLowerAttributes(this.root, this.options.lowerRoots, this.resolver.implicitDirectories);
  }

  /**
   * Writes the data of large files through `queue` from now on. Only for a source whose chunks are never
   * rewritten once handed over (zlib allocates a new output buffer for each), since writes happen later.
   */
  writeLargeFilesThrough(queue: FileWriteQueue): void {
    this.writes = queue;
  }

  /** Waits until the queued file data is written and those files are closed (before `finish`). */
  async settle(): Promise<void> {
    await this.writes?.settle();
  }

  /** Closes a file left open by a failure mid-entry, and every queued file once its writes in flight ended. */
  async close(): Promise<void> {
    if (this.openFd !== undefined) closeSync(this.openFd);
    this.openFd = undefined;
    await this.writes?.closeAll();
  }

  private createFile(entry: TarEntry, path: string, relative: string): EntrySink {
    const mode = entry.mode & 0o777;
    let fd = -1;
    this.replaceAt(path, relative, () => {
      fd = openSync(path, CREATE_FILE, mode);
    });
    // xattrs are set by path after the data (a write drops security.capability): those files stay synchronous.
    const queue = this.writes !== undefined && entry.size >= ASYNC_WRITE_FROM && !(entry.xattrs && entry.xattrs.size > 0) ? this.writes : undefined;
    if (queue) queue.open(fd);
    else this.openFd = fd;
    let position = 0;
    let holes = false;
    return {
      write: (chunk) => {
        if (queue) {
          queue.write(fd, chunk, position);
          position += chunk.length;
          return;
        }
        let offset = 0;
        while (offset < chunk.length) {
          const written = writeSync(fd, chunk, offset, chunk.length - offset, position);
          offset += written;
          position += written;
        }
      },
      // A sparse file's hole: never written, so it takes no disk space.
      skip: (length) => {
        position += length;
        holes = true;
      },
      end: () => {
        if (holes) ftruncateSync(fd, position);
        if (queue) {
          queue.end(fd, () => {
            try {
              this.setFileMetadata(fd, entry, mode);
              futimesSync(fd, entry.atime ?? entry.mtime, entry.mtime);
            } finally {
              closeSync(fd);
            }
          });
          return;
        }
        this.setFileMetadata(fd, entry, mode);
        this.setXattrs(path, entry);
        futimesSync(fd, entry.atime ?? entry.mtime, entry.mtime);
        closeSync(fd);
        this.openFd = undefined;
      },
    };
  }

  /** Owner and mode of a regular file, after its data (times are set by the caller, after the xattrs). */
  private setFileMetadata(fd: number, entry: TarEntry, mode: number): void {
    if (this.options.preserveOwnership && (entry.uid !== this.euid || entry.gid !== this.egid)) {
      fchownSync(fd, entry.uid, entry.gid);
    }
    // chown clears setuid/setgid, and creation is subject to the umask: set the mode after both.
    if ((entry.mode & 0o7000) !== 0 || (mode & umask) !== 0) fchmodSync(fd, entry.mode);
  }

  private createDirectory(entry: TarEntry, path: string, relative: string): void {
    let fresh = true;
    // Created with the final mode where that is safe (never group/world-writable, always writable by us while
    // extracting); `finish` fixes the rest.
    const initialMode = (entry.mode & 0o755) | 0o700;
    try {
      mkdirSync(path, initialMode);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const existing = lstatSync(path);
      if (!existing.isDirectory()) {
        this.remove(path, relative, existing);
        mkdirSync(path, initialMode);
        // Deleted, then re-created by this layer: nothing of the lower layers' directory may show through.
        if (this.options.whiteouts === 'overlay' && isOverlayWhiteout(existing)) setXattr(path, OVERLAY_OPAQUE_XATTR, Buffer.from('y'));
      } else {
        fresh = false;
      }
    }
    this.resolver.remember(relative);
    this.setOwner(path, entry, fresh);
    this.setXattrs(path, entry);
    this.deferDirectory(relative, path, entry);
  }

  private deferDirectory(relative: string, path: string, entry: TarEntry): void {
    const stat = lstatSync(path);
    if (relative === '') this.setOwner(path, entry, false);
    this.directories.set(relative, {
      path,
      dev: stat.dev,
      ino: stat.ino,
      mode: entry.mode,
      atime: entry.atime ?? entry.mtime,
      mtime: entry.mtime,
    });
  }

  private createHardLink(entry: TarEntry, path: string, relative: string): void {
    const targetComponents = entryComponents(entry.linkname);
    if (targetComponents.length === 0) throw unsafeEntry(entry.name, 'is a hard link to the snapshot root');
    const targetRelative = targetComponents.join('/');
    if (targetRelative === relative) return; // a link to itself: nothing to do
    const targetParent = this.resolver.directory(targetComponents, targetComponents.length - 1, entry.name, false);
    let target = targetParent === undefined ? undefined : `${targetParent}/${targetComponents[targetComponents.length - 1]!}`;
    let stat = target === undefined ? undefined : lstatSync(target, { throwIfNoEntry: false });
    // A whiteout is this layer's deletion marker, not a file: linking to it would delete the link's path.
    if (stat && this.options.whiteouts === 'overlay' && isOverlayWhiteout(stat)) stat = undefined;
    else if (!stat && this.options.whiteouts === 'overlay') {
      ({ target, stat } = this.copyUpLinkTarget(targetComponents, targetRelative, entry) ?? { target, stat });
    }
    if (!target || !stat) {
      throw new CError('INVALID_ARGUMENT', `layer entry "${entry.name}" is a hard link to "${entry.linkname}", which is not in this layer`, {
        hint: 'hard links must point at an earlier entry of the same layer or a file a lower layer holds',
        details: { entry: entry.name, linkname: entry.linkname },
      });
    }
    if (stat.isDirectory()) throw unsafeEntry(entry.name, `is a hard link to the directory "${entry.linkname}"`);
    const existing = lstatSync(path, { throwIfNoEntry: false });
    if (existing && existing.ino === stat.ino && existing.dev === stat.dev) return;
    this.replaceAt(path, relative, () => linkSync(target, path));
  }

  /**
   * An overlay upper dir holds only this layer: a link target that a lower layer holds is copied up first
   * (see copy-up.ts). Returns the copy's path and stat, or undefined when no lower layer shows it.
   */
  private copyUpLinkTarget(components: string[], relative: string, entry: TarEntry): { target: string; stat: Stats } | undefined {
    if (this.options.lowerLayersPending) throw needsLowerLayersError(entry.name, entry.linkname);
    const lowerRoots = this.options.lowerRoots ?? [];
    if (lowerRoots.length === 0) return undefined;
    // An upper ancestor made opaque by this layer hides the lower layers' content below it.
    if (this.hasOpaqueUpperAncestor(components)) return undefined;
    const lower = findLowerFile(lowerRoots, components);
    if (!lower) return undefined;
    const parent = this.resolver.directory(components, components.length - 1, entry.name, true)!;
    const target = `${parent}/${components[components.length - 1]!}`;
    if (!copyUp(lower, target)) {
      throw unsafeEntry(entry.name, `is a hard link to "${relative}", which a lower layer holds as a special file`);
    }
    return { target, stat: lstatSync(target) };
  }

  /** Walks the upper dir's existing ancestors (lstat: a symlink or file ends the walk, never followed). */
  private hasOpaqueUpperAncestor(components: string[]): boolean {
    let path = this.root;
    for (let i = 0; i < components.length - 1; i++) {
      path = `${path}/${components[i]!}`;
      const stat = lstatSync(path, { throwIfNoEntry: false });
      if (!stat) return false;
      // A whiteout ancestor: this layer deleted the whole subtree.
      if (isOverlayWhiteout(stat)) return true;
      if (!stat.isDirectory()) return false;
      if (getXattr(path, OVERLAY_OPAQUE_XATTR)?.toString() === 'y') return true;
    }
    return false;
  }

  private createNode(entry: TarEntry, path: string, relative: string): void {
    if (entry.type !== 'fifo') {
      if (this.options.devices === 'reject') throw unsafeEntry(entry.name, `is a ${entry.type} device, which this snapshotter does not allow`);
      if (this.options.devices === 'skip') {
        this.stats.neutralised++;
        this.written.delete(relative);
        return;
      }
    }
    const type = entry.type === 'char' ? S_IFCHR : entry.type === 'block' ? S_IFBLK : S_IFIFO;
    this.replaceAt(path, relative, () => mknod(path, type, entry.mode & 0o777, entry.devmajor, entry.devminor));
    this.setOwner(path, entry);
    // mknod applies the umask and drops special bits; lchown would clear setuid. Neither follows a link:
    // the node was just created by us at this path.
    chmodSync(path, entry.mode);
    this.setXattrs(path, entry);
    lutimesSync(path, entry.atime ?? entry.mtime, entry.mtime);
  }

  private applyWhiteout(entry: TarEntry, components: string[], whiteout: NonNullable<ReturnType<typeof parseWhiteout>>): void {
    if (whiteout.kind === 'ignore') {
      this.stats.neutralised++;
      return;
    }
    const overlay = this.options.whiteouts === 'overlay';
    const parentCount = components.length - 1;
    const parentRelative = components.slice(0, parentCount).join('/');
    // overlay: the marker must exist in the upper dir, so create its parents; delete: nothing to delete
    // below a directory that does not exist.
    const parent = this.resolver.directory(components, parentCount, entry.name, overlay);
    if (whiteout.kind === 'opaque') {
      if (parent === undefined) return;
      if (overlay) setXattr(parent, OVERLAY_OPAQUE_XATTR, Buffer.from('y'));
      else this.removeLowerChildren(parent, parentRelative);
      return;
    }
    const name = whiteout.name;
    if (name === '' || name === '.' || name === '..' || name.includes('/')) {
      throw unsafeEntry(entry.name, `is a whiteout of "${name}", which is not a name in its directory`);
    }
    const relative = parentRelative === '' ? name : `${parentRelative}/${name}`;
    if (parent === undefined || this.written.has(relative)) return;
    const path = `${parent}/${name}`;
    if (overlay) {
      this.replaceAt(path, relative, () => mknod(path, S_IFCHR, 0, 0, 0));
    } else {
      const existing = lstatSync(path, { throwIfNoEntry: false });
      if (existing) this.remove(path, relative, existing);
    }
  }

  /** Opaque directory in a full copy: delete what the layers below put there, keep this layer's entries. */
  private removeLowerChildren(dir: string, relative: string): void {
    for (const child of readdirSync(dir, { withFileTypes: true })) {
      const childRelative = relative === '' ? child.name : `${relative}/${child.name}`;
      const path = `${dir}/${child.name}`;
      if (!this.written.has(childRelative)) {
        this.remove(path, childRelative, lstatSync(path));
      } else if (child.isDirectory()) {
        this.removeLowerChildren(path, childRelative);
      }
    }
  }

  /** Runs `create`; if something is in the way, removes it (never following it) and runs `create` again. */
  private replaceAt(path: string, relative: string, create: () => void): void {
    try {
      create();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' && errnoOf(error) !== 'EEXIST') throw error;
      this.remove(path, relative, lstatSync(path));
      create();
    }
  }

  private remove(path: string, relative: string, stat: Stats): void {
    if (stat.isDirectory()) {
      rmSync(path, { recursive: true, force: true });
      this.resolver.forget(relative);
      deleteSubtree(this.directories, relative);
    } else {
      unlinkSync(path);
    }
  }

  /** `fresh`: we just created it, so it already belongs to us and chown can be skipped when that is right. */
  private setOwner(path: string, entry: TarEntry, fresh = true): void {
    if (!this.options.preserveOwnership) return;
    if (fresh && entry.uid === this.euid && entry.gid === this.egid) return;
    lchownSync(path, entry.uid, entry.gid);
  }

  private setXattrs(path: string, entry: TarEntry): void {
    if (!entry.xattrs) return;
    for (const [name, value] of entry.xattrs) {
      // overlayfs reads its own state (whiteouts, redirects, metacopy) from these: a layer may not forge it.
      if (isOverlayXattr(name)) {
        this.stats.neutralised++;
        continue;
      }
      try {
        setXattr(path, name, value);
      } catch (error) {
        const errno = errnoOf(error);
        if (errno === 'EOPNOTSUPP' || (errno === 'EPERM' && this.euid !== 0)) {
          this.stats.neutralised++;
          continue;
        }
        throw new CError('SYSCALL', `setting xattr ${name} on layer entry "${entry.name}" failed: ${errno}`, { cause: error });
      }
    }
  }
}
