/**
 * Copy-up for hard links that cross layers. In an overlay upper dir a layer may hard-link to a file that
 * only a lower layer holds; link(2) cannot reach it, so the file is first copied into the upper dir
 * (content, owner, mode, xattrs, times), as overlayfs itself does when such a link is made through a
 * mounted overlay, and the link is made to the copy. The merged view is then what the layer describes.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  futimesSync,
  lchownSync,
  lstatSync,
  lutimesSync,
  openSync,
  readSync,
  readlinkSync,
  symlinkSync,
  type Stats,
  writeSync,
} from 'node:fs';
import { isOverlayWhiteout, isOverlayXattr, OVERLAY_OPAQUE_XATTR } from './whiteout';
import { getXattr, readXattrs, setXattr } from './xattrs';

/** A file found in a lower layer: its path there and its lstat. */
export interface LowerFile {
  path: string;
  stat: Stats;
}

/**
 * What the merged view of the lower layers (nearest first) shows at `components`: its path in the nearest layer
 * that has it and its lstat, or undefined when none has it or a whiteout, a non-directory or an opaque directory
 * hides it. Every component is lstat'ed, so a lower layer's symlink never leads the lookup elsewhere.
 */
export function lowerEntry(lowerRoots: readonly string[], components: readonly string[]): LowerFile | undefined {
  for (const lower of lowerRoots) {
    let path = lower;
    let opaque = false;
    let missing = false;
    for (let i = 0; i < components.length; i++) {
      path = `${path}/${components[i]!}`;
      const stat = lstatSync(path, { throwIfNoEntry: false });
      if (!stat) {
        missing = true;
        break;
      }
      if (isOverlayWhiteout(stat)) return undefined; // deleted by this layer
      if (i === components.length - 1) return { path, stat };
      if (!stat.isDirectory()) return undefined; // a file or symlink here hides everything below it
      if (getXattr(path, OVERLAY_OPAQUE_XATTR)?.toString() === 'y') opaque = true;
    }
    // Not in this layer: look further down, unless an opaque directory of this layer hides what is below.
    if (missing && opaque) return undefined;
  }
  return undefined;
}

/** The file (not a directory) the merged view of the lower layers shows at `components` (see lowerEntry). */
export function findLowerFile(lowerRoots: readonly string[], components: readonly string[]): LowerFile | undefined {
  const found = lowerEntry(lowerRoots, components);
  return found && !found.stat.isDirectory() ? found : undefined;
}

const READ_LOWER = constants.O_RDONLY | constants.O_NOFOLLOW;
const CREATE_UPPER = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Copies a lower regular file or symlink to `path` (which must not exist). Returns false for other types. */
export function copyUp(lower: LowerFile, path: string): boolean {
  const { stat } = lower;
  if (stat.isSymbolicLink()) {
    symlinkSync(readlinkSync(lower.path), path);
    lchownSync(path, stat.uid, stat.gid);
    copyXattrs(lower.path, path);
    lutimesSync(path, stat.atime, stat.mtime);
    return true;
  }
  if (!stat.isFile()) return false;
  const source = openSync(lower.path, READ_LOWER);
  let target = -1;
  try {
    // The lower layer must not have swapped the file between the lookup and the open.
    const opened = fstatSync(source);
    if (!opened.isFile() || opened.ino !== stat.ino || opened.dev !== stat.dev) return false;
    target = openSync(path, CREATE_UPPER, 0o600);
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (let read = readSync(source, buffer); read > 0; read = readSync(source, buffer)) {
      let written = 0;
      while (written < read) written += writeSync(target, buffer, written, read - written);
    }
    fchownSync(target, opened.uid, opened.gid);
    // After the chown, which clears setuid/setgid.
    fchmodSync(target, opened.mode & 0o7777);
    copyXattrs(lower.path, path);
    futimesSync(target, opened.atime, opened.mtime);
    return true;
  } finally {
    closeSync(source);
    if (target >= 0) closeSync(target);
  }
}

function copyXattrs(from: string, to: string): void {
  for (const [name, value] of readXattrs(from)) {
    if (!isOverlayXattr(name)) setXattr(to, name, value);
  }
}
