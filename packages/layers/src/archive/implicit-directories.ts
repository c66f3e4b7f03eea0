/**
 * Implicit directories of an overlay upper dir: a layer that writes `usr/lib/x` without entries for `usr` and
 * `usr/lib` gets those directories made for it, and the merged view shows the upper dir's attributes over the
 * lower one's. So, as overlayfs does on copy-up, they take mode, owner and times from the directory the lower
 * layers show there. That is read once the layer is written and its lower layers are complete, which lets a
 * layer be extracted while the layers under it are still being unpacked (snapshots/unpack.ts).
 */
import { chmodSync, lchownSync, lstatSync, type Stats, utimesSync } from 'node:fs';
import { lowerEntry } from './copy-up';

/**
 * Gives each of `relatives` (directories of `root` an entry needed as a parent) the attributes of the same directory
 * in the nearest lower layer that has one. Directories replaced since (by a symlink, or gone) are left alone: every
 * component is checked with lstat, so nothing is followed.
 */
export function inheritLowerAttributes(root: string, lowerRoots: readonly string[], relatives: Iterable<string>): void {
  if (lowerRoots.length === 0) return;
  for (const relative of relatives) {
    const components = relative.split('/');
    if (!realDirectory(root, components, components.length)) continue;
    const lower = lowerDirectory(lowerRoots, components);
    if (!lower) continue;
    const path = `${root}/${relative}`;
    lchownSync(path, lower.uid, lower.gid);
    chmodSync(path, lower.mode & 0o7777);
    utimesSync(path, lower.atime, lower.mtime);
  }
}

/** The directory the merged view of the lower layers shows at `components` (see lowerEntry), or undefined. */
export function lowerDirectory(lowerRoots: readonly string[], components: readonly string[]): Stats | undefined {
  const found = lowerEntry(lowerRoots, components);
  return found?.stat.isDirectory() ? found.stat : undefined;
}

/** Whether `components[0..count)` under `root` are all real directories (lstat each: nothing is followed). */
function realDirectory(root: string, components: readonly string[], count: number): boolean {
  let path = root;
  for (let i = 0; i < count; i++) {
    path = `${path}/${components[i]!}`;
    if (!lstatSync(path, { throwIfNoEntry: false })?.isDirectory()) return false;
  }
  return true;
}
