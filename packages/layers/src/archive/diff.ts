/**
 * Directory → layer. Compares an overlay upper dir on its own (0/0 devices are deletions, the opaque xattr
 * marks opaque dirs) or a full tree against its parent tree, and writes an OCI layer tar: entries in path
 * order, hard links kept within the layer, xattrs as PAX records, optional fixed mtime — the same change
 * always gives the same bytes.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CError } from '@c/errors';
import { getXattr, readXattrs } from './xattrs';
import { END_OF_ARCHIVE, encodeHeader, paddingFor } from './tar-writer';
import type { EntryType, TarEntry } from './tar-format';
import { OPAQUE_MARKER, OVERLAY_OPAQUE_XATTR, isOverlayWhiteout, isOverlayXattr, whiteoutName } from './whiteout';

export type DiffInput = { kind: 'upper'; upper: string } | { kind: 'tree'; tree: string; base?: string };

export interface DiffOptions {
  /** gzip the layer (default true). */
  gzip?: boolean;
  /** Every entry gets this mtime (seconds), for reproducible layers. */
  mtime?: number;
}

export interface DiffResult {
  /** sha256 of the uncompressed tar. */
  diffId: string;
  /** sha256 of the bytes written (the blob digest). */
  digest: string;
  size: number;
  mediaType: string;
  entries: number;
}

/** One entry to write: its tar header and, for files, where its data comes from. */
interface Change {
  entry: TarEntry;
  source?: string;
  /** The inode scanned at `source`: the file read later must be that one. */
  sourceId?: { dev: number; ino: number };
  /** dev:ino and link count, to find hard links. */
  inode?: string;
  nlink?: number;
}

/** Writes the layer for `input` to `output` and returns its digests. */
export async function writeDiff(input: DiffInput, output: Writable, options: DiffOptions = {}): Promise<DiffResult> {
  const changes = input.kind === 'upper' ? upperChanges(input.upper) : treeChanges(input.tree, input.base);
  if (options.mtime !== undefined) for (const change of changes) change.entry.mtime = options.mtime;
  linkHardLinks(changes);
  const gzip = options.gzip ?? true;
  const tarHash = createHash('sha256');
  const blobHash = createHash('sha256');
  let size = 0;
  const tar = async function* () {
    for (const chunk of tarChunks(changes)) {
      tarHash.update(chunk);
      yield chunk;
    }
  };
  const count = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      blobHash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  };
  // node:zlib on first use: a process that only downloads never loads it.
  if (gzip) await pipeline(tar, (await import('node:zlib')).createGzip({ level: 6 }), count, output);
  else await pipeline(tar, count, output);
  return {
    diffId: `sha256:${tarHash.digest('hex')}`,
    digest: `sha256:${blobHash.digest('hex')}`,
    size,
    mediaType: gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar',
    entries: changes.length,
  };
}

const READ_SOURCE = constants.O_RDONLY | constants.O_NOFOLLOW;

const replaced = (source: string) =>
  new CError('CONFLICT', `${source} was replaced while its layer was written`, { hint: 'stop the container before committing it' });

function openSource(source: string): number {
  try {
    return openSync(source, READ_SOURCE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw replaced(source);
    throw error;
  }
}

function* tarChunks(changes: Change[]): Generator<Buffer> {
  const buffer = Buffer.allocUnsafe(1 << 20);
  for (const { entry, source, sourceId } of changes) {
    yield encodeHeader(entry);
    if (entry.type !== 'file' || entry.size === 0 || !source) continue;
    // A running container can swap a file (or a parent directory) for a symlink between the scan and this
    // read; following it would copy a host file into the layer. Never follow the last component, and
    // require the inode the scan saw, which no path through a swapped parent can reach.
    const fd = openSource(source);
    try {
      const opened = fstatSync(fd);
      if (!opened.isFile() || (sourceId && (opened.dev !== sourceId.dev || opened.ino !== sourceId.ino))) throw replaced(source);
      let left = entry.size;
      while (left > 0) {
        const read = readSync(fd, buffer, 0, Math.min(buffer.length, left), null);
        if (read === 0) break;
        left -= read;
        yield Buffer.from(buffer.subarray(0, read));
      }
      if (left !== 0 || readSync(fd, buffer, 0, 1, null) !== 0) {
        throw new CError('CONFLICT', `${source} changed size while its layer was written`, { hint: 'stop the container before committing it' });
      }
    } finally {
      closeSync(fd);
    }
    yield paddingFor(entry.size);
  }
  yield END_OF_ARCHIVE;
}

const sortedNames = (dir: string) => readdirSync(dir).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
const join = (parent: string, name: string) => (parent === '' ? name : `${parent}/${name}`);

/** Overlay upper dir: everything in it is a change. */
function upperChanges(upper: string): Change[] {
  const changes: Change[] = [];
  const visit = (relative: string) => {
    for (const name of sortedNames(relative === '' ? upper : `${upper}/${relative}`)) {
      const path = join(relative, name);
      const absolute = `${upper}/${path}`;
      const stat = lstatSync(absolute);
      if (isOverlayWhiteout(stat)) {
        changes.push({ entry: whiteoutEntry(join(relative, whiteoutName(name))) });
        continue;
      }
      const change = changeOf(path, absolute, stat);
      changes.push(change);
      if (stat.isDirectory()) {
        if (getXattr(absolute, OVERLAY_OPAQUE_XATTR)?.toString() === 'y') {
          changes.push({ entry: whiteoutEntry(join(path, OPAQUE_MARKER)) });
        }
        visit(path);
      }
    }
  };
  visit('');
  return changes;
}

/** Full tree against its parent tree: added, changed, and deleted (as whiteouts). */
function treeChanges(tree: string, base: string | undefined): Change[] {
  const changes: Change[] = [];
  const addAll = (path: string, absolute: string, stat: Stats) => {
    changes.push(changeOf(path, absolute, stat));
    if (stat.isDirectory()) {
      for (const name of sortedNames(absolute)) addAll(join(path, name), `${absolute}/${name}`, lstatSync(`${absolute}/${name}`));
    }
  };
  const visit = (relative: string) => {
    const dir = relative === '' ? tree : `${tree}/${relative}`;
    const baseDir = relative === '' ? base! : `${base}/${relative}`;
    const names = new Set([...readdirSync(dir), ...readdirSync(baseDir)]);
    for (const name of [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
      const path = join(relative, name);
      const stat = lstatSync(`${dir}/${name}`, { throwIfNoEntry: false });
      const before = lstatSync(`${baseDir}/${name}`, { throwIfNoEntry: false });
      if (!stat) {
        changes.push({ entry: whiteoutEntry(join(relative, whiteoutName(name))) });
      } else if (!before || stat.isDirectory() !== before.isDirectory()) {
        addAll(path, `${dir}/${name}`, stat);
      } else if (stat.isDirectory()) {
        if (!sameEntry(`${dir}/${name}`, stat, `${baseDir}/${name}`, before)) changes.push(changeOf(path, `${dir}/${name}`, stat));
        visit(path);
      } else if (!sameEntry(`${dir}/${name}`, stat, `${baseDir}/${name}`, before)) {
        changes.push(changeOf(path, `${dir}/${name}`, stat));
      }
    }
  };
  if (base === undefined) {
    for (const name of sortedNames(tree)) addAll(name, `${tree}/${name}`, lstatSync(`${tree}/${name}`));
  } else {
    visit('');
  }
  return changes;
}

/** Same type, metadata, link target and xattrs; files with equal size and mtime are taken as equal (cp -a keeps both). */
function sameEntry(path: string, stat: Stats, basePath: string, before: Stats): boolean {
  if (stat.mode !== before.mode || stat.uid !== before.uid || stat.gid !== before.gid || stat.rdev !== before.rdev) return false;
  if (!stat.isDirectory() && (stat.size !== before.size || stat.mtimeMs !== before.mtimeMs)) return false;
  if (stat.isSymbolicLink() && readlinkSync(path) !== readlinkSync(basePath)) return false;
  return sameXattrs(readXattrs(path), readXattrs(basePath));
}

function sameXattrs(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, value] of a) if (!b.get(name)?.equals(value)) return false;
  return true;
}

function typeOf(stat: Stats): EntryType {
  if (stat.isFile()) return 'file';
  if (stat.isDirectory()) return 'directory';
  if (stat.isSymbolicLink()) return 'symlink';
  if (stat.isCharacterDevice()) return 'char';
  if (stat.isBlockDevice()) return 'block';
  if (stat.isFIFO()) return 'fifo';
  throw new CError('UNSUPPORTED', `cannot put a socket into a layer`, { hint: 'remove sockets before committing' });
}

function changeOf(path: string, absolute: string, stat: Stats): Change {
  const type = typeOf(stat);
  const rdev = Number(stat.rdev);
  const entry: TarEntry = {
    name: path,
    type,
    mode: stat.mode & 0o7777,
    uid: stat.uid,
    gid: stat.gid,
    size: type === 'file' ? stat.size : 0,
    mtime: Math.floor(stat.mtimeMs / 1000),
    linkname: type === 'symlink' ? readlinkSync(absolute) : '',
    devmajor: type === 'char' || type === 'block' ? ((rdev >>> 8) & 0xfff) | Math.floor(rdev / 2 ** 32) & ~0xfff : 0,
    devminor: type === 'char' || type === 'block' ? (rdev & 0xff) | ((rdev >>> 12) & 0xfff00) : 0,
    uname: '',
    gname: '',
  };
  const xattrs = readXattrs(absolute);
  for (const name of [...xattrs.keys()]) if (isOverlayXattr(name)) xattrs.delete(name);
  if (xattrs.size > 0) entry.xattrs = xattrs;
  const change: Change = { entry };
  if (type === 'file') {
    change.source = absolute;
    change.sourceId = { dev: stat.dev, ino: stat.ino };
  }
  if (type !== 'directory' && stat.nlink > 1) {
    change.inode = `${stat.dev}:${stat.ino}`;
    change.nlink = stat.nlink;
  }
  return change;
}

function whiteoutEntry(name: string): TarEntry {
  return { name, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, linkname: '', devmajor: 0, devminor: 0, uname: '', gname: '' };
}

/** The second and later names of a multiply linked file become hard-link entries to the first. */
function linkHardLinks(changes: Change[]): void {
  const first = new Map<string, string>();
  for (const change of changes) {
    if (!change.inode) continue;
    const earlier = first.get(change.inode);
    if (earlier === undefined) {
      first.set(change.inode, change.entry.name);
      continue;
    }
    change.entry = { ...change.entry, type: 'link', linkname: earlier, size: 0 };
    delete change.source;
  }
}
