/**
 * Keeping every write inside the snapshot root. Entry names are normalised to components ('..' refused,
 * a leading '/' means the root), and parent directories are walked with lstat so that no symlink,
 * planted by this layer or an earlier one, is ever followed.
 */
import { lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { CError } from '@c/errors';
import { setXattr } from './xattrs';
import { OVERLAY_OPAQUE_XATTR, isOverlayWhiteout } from './whiteout';

const MAX_PATH_BYTES = 4096;

export const unsafeEntry = (entry: string, why: string, hint = 'the layer is hostile or corrupt; do not use this image') =>
  new CError('UNSAFE_CONTENT', `layer entry "${entry}" ${why}`, { hint, details: { entry } });

/**
 * Splits a tar entry name into path components relative to the root. Absolute names are taken relative to
 * the root (as tar does); '.' and empty components vanish; any '..' component is refused outright.
 */
export function entryComponents(name: string): string[] {
  if (name.includes('\0')) throw unsafeEntry(name, 'contains a NUL byte');
  if (Buffer.byteLength(name) > MAX_PATH_BYTES) throw unsafeEntry(name.slice(0, 80), `is longer than ${MAX_PATH_BYTES} bytes`);
  const components: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw unsafeEntry(name, "contains a '..' component that could leave the snapshot root");
    components.push(part);
  }
  return components;
}

/**
 * Resolves parent directories inside one root. Remembers the directories it has verified or created, so
 * the lstat walk happens once per directory, not once per entry; `forget` drops a removed subtree.
 */
export class RootResolver {
  private readonly knownDirs = new Set<string>(['']);
  /**
   * Directories created because an entry needed them as a parent, with no entry of their own (yet). In an overlay
   * upper dir they take their attributes from the lower layers once the layer is written (see implicit-directories.ts),
   * which the resolver itself never reads: lower layers may still be in the making.
   */
  readonly implicitDirectories = new Set<string>();

  constructor(
    readonly root: string,
    /** Overlay upper dir: a whiteout device met as a parent is replaced by an opaque directory. */
    private readonly overlayWhiteouts = false,
  ) {
    const stat = lstatSync(root, { throwIfNoEntry: false });
    if (!stat?.isDirectory()) {
      throw new CError('NOT_FOUND', `snapshot root ${root} is not a directory`, { hint: 'prepare the snapshot first' });
    }
  }

  /** Absolute path of a relative path (no checks). */
  absolute(relative: string): string {
    return relative === '' ? this.root : `${this.root}/${relative}`;
  }

  /**
   * Makes sure `components[0..count)` are real directories (creating missing ones with mode 0755 when
   * `create`), and returns the absolute path of the last one. Returns undefined when one is missing and
   * `create` is false. Throws UNSAFE_CONTENT when a component is a symlink or not a directory.
   */
  directory(components: readonly string[], count: number, entry: string, create: boolean): string | undefined {
    if (count === 0) return this.root;
    // Most entries land in a directory already seen: one lookup of the whole parent path, not one per level.
    const whole = count === components.length ? components.join('/') : components.slice(0, count).join('/');
    if (this.knownDirs.has(whole)) return `${this.root}/${whole}`;
    let relative = '';
    for (let i = 0; i < count; i++) {
      relative = i === 0 ? components[0]! : `${relative}/${components[i]!}`;
      if (this.knownDirs.has(relative)) continue;
      const path = this.absolute(relative);
      const stat = lstatSync(path, { throwIfNoEntry: false });
      if (!stat) {
        if (!create) return undefined;
        mkdirSync(path, 0o755);
        this.implicitDirectories.add(relative);
      } else if (this.overlayWhiteouts && isOverlayWhiteout(stat)) {
        // This layer deleted the path and now puts entries below it: an opaque dir, empty of lower content.
        unlinkSync(path);
        mkdirSync(path, 0o755);
        setXattr(path, OVERLAY_OPAQUE_XATTR, Buffer.from('y'));
      } else if (stat.isSymbolicLink()) {
        throw unsafeEntry(entry, `goes through the symlink "${relative}"`);
      } else if (!stat.isDirectory()) {
        throw unsafeEntry(entry, `goes through "${relative}", which is not a directory`);
      }
      this.knownDirs.add(relative);
    }
    return this.absolute(relative);
  }

  /** Records that `relative` is a directory an entry of this layer created or set (so it is not implicit). */
  remember(relative: string): void {
    this.knownDirs.add(relative);
    this.implicitDirectories.delete(relative);
  }

  /** Forgets `relative` and everything below it (it was removed or replaced). */
  forget(relative: string): void {
    deleteSubtree(this.knownDirs, relative);
    deleteSubtree(this.implicitDirectories, relative);
  }
}

/** Deletes the key `relative` and every key below it (`relative/…`) from a set or map of relative paths. */
export function deleteSubtree(paths: { keys(): Iterable<string>; delete(key: string): unknown }, relative: string): void {
  const prefix = `${relative}/`;
  for (const key of paths.keys()) {
    if (key === relative || key.startsWith(prefix)) paths.delete(key);
  }
}
