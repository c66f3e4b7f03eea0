/**
 * Implicit directories of an overlay upper dir: a layer that writes `usr/lib/x` without entries for `usr` and
 * `usr/lib` gets those directories made for it, and the merged view shows the upper dir's attributes over the
 * lower one's. So, as overlayfs does on copy-up, they take mode, owner and times from the directory the lower
 * layers show there. That is read once the layer is written and its lower layers are complete, which lets a
 * layer be extracted while the layers under it are still being unpacked (snapshots/unpack.ts).
 */
import { chmodSync, lchownSync, lstatSync, type Stats, utimesSync } from 'node:fs';

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

/** The stat of `components` in the nearest lower layer that holds something there, when that is a real directory. */
export function lowerDirectory(lowerRoots: readonly string[], components: readonly string[]): Stats | undefined {
  for (const lower of lowerRoots) {
    const stat = realDirectory(lower, components, components.length, true);
    if (stat === undefined) continue; // not in this layer: look further down
    return stat.isDirectory() ? stat : undefined; // a file, symlink or whiteout hides what is below
  }
  return undefined;
}

/**
 * lstat of `components[0..count)` under `root`, walking every component so that a symlink never leads the lookup
 * elsewhere. Undefined when a component is missing; with `stopAtNonDirectory`, the stat of the first component that
 * is not a directory (it hides what is below); without it, undefined then too.
 */
function realDirectory(root: string, components: readonly string[], count: number, stopAtNonDirectory = false): Stats | undefined {
  let path = root;
  let stat: Stats | undefined;
  for (let i = 0; i < count; i++) {
    path = `${path}/${components[i]!}`;
    stat = lstatSync(path, { throwIfNoEntry: false });
    if (!stat) return undefined;
    if (!stat.isDirectory()) return stopAtNonDirectory ? stat : undefined;
  }
  return stat;
}
