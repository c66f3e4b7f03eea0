/**
 * Test helpers (not exported from the package): tar building with tar-stream (an encoder independent of
 * ours), tree listings for comparisons, temp dirs.
 */
import { lstatSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { readXattrs } from './xattrs';

export interface TestEntry {
  name: string;
  type?: Header['type'];
  content?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  mtime?: number;
  devmajor?: number;
  devminor?: number;
  /** PAX records, e.g. { 'SCHILY.xattr.user.x': 'v' } (tar-stream encodes values as UTF-8). */
  pax?: Record<string, string>;
}

/** An uncompressed tar made by tar-stream. */
export async function buildTar(entries: TestEntry[]): Promise<Buffer> {
  const packer = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    packer.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    packer.on('end', () => resolve());
    packer.on('error', reject);
  });
  for (const entry of entries) {
    const type = entry.type ?? (entry.content !== undefined ? 'file' : 'file');
    const header: Header = {
      name: entry.name,
      type,
      size: 0,
      mode: entry.mode ?? (type === 'directory' ? 0o755 : 0o644),
      mtime: new Date((entry.mtime ?? 1_700_000_000) * 1000),
      linkname: entry.linkname ?? '',
      uid: entry.uid ?? 0,
      gid: entry.gid ?? 0,
      uname: '',
      gname: '',
      devmajor: entry.devmajor ?? 0,
      devminor: entry.devminor ?? 0,
      pax: entry.pax ?? null,
    };
    await new Promise<void>((resolve, reject) => {
      const content = entry.content === undefined ? undefined : Buffer.from(entry.content);
      if (content) packer.entry(header, content, (error) => (error ? reject(error) : resolve()));
      else packer.entry(header, (error) => (error ? reject(error) : resolve())).end(Buffer.alloc(0));
    });
  }
  packer.finalize();
  await done;
  return Buffer.concat(chunks);
}

export const buildTarGz = async (entries: TestEntry[]) => gzipSync(await buildTar(entries));

/** A byte source that yields `data` in chunks of `size` bytes. */
export async function* chunked(data: Buffer, size = 65536): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

export function tempDir(prefix: string, parent = tmpdir()): string {
  return mkdtempSync(join(parent, `c-layers-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface ListingOptions {
  /** Include mtimes (seconds). */
  mtimes?: boolean;
  /** Leave out these xattr name prefixes. */
  ignoreXattrs?: string[];
}

/** Listing lines without the mtime of overlay whiteouts (0/0 character devices): they have the time they were made. */
export function withoutWhiteoutTimes(lines: string[]): string[] {
  return lines.map((line) => (/^\S+ c 0 0:0 n\d+ - - 0 /.test(line) ? line.replace(/ \d+$/, '') : line));
}

/**
 * One line per entry below `root` (the root itself excluded): path, type, mode, uid:gid, size, link target,
 * device numbers and xattrs. Directory sizes are left out (they depend on the filesystem).
 */
export function listTree(root: string, options: ListingOptions = {}): string[] {
  const lines: string[] = [];
  const visit = (relative: string) => {
    const dir = relative === '' ? root : `${root}/${relative}`;
    for (const name of readdirSync(dir).sort()) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const absolute = `${root}/${path}`;
      const stat = lstatSync(absolute);
      const type = stat.isFile() ? 'f' : stat.isDirectory() ? 'd' : stat.isSymbolicLink() ? 'l' : stat.isCharacterDevice() ? 'c' : stat.isBlockDevice() ? 'b' : stat.isFIFO() ? 'p' : '?';
      const xattrs = [...readXattrs(absolute)]
        .filter(([key]) => !(options.ignoreXattrs ?? []).some((prefix) => key.startsWith(prefix)))
        .map(([key, value]) => `${key}=${value.toString('hex')}`)
        .sort()
        .join(',');
      const parts = [
        path,
        type,
        (stat.mode & 0o7777).toString(8),
        `${stat.uid}:${stat.gid}`,
        type === 'd' ? '-' : `n${stat.nlink}`,
        type === 'f' ? String(stat.size) : '-',
        type === 'l' ? readlinkSync(absolute) : '-',
        type === 'c' || type === 'b' ? String(stat.rdev) : '-',
        xattrs || '-',
      ];
      if (options.mtimes && type !== 'd') parts.push(String(Math.floor(stat.mtimeMs / 1000)));
      lines.push(parts.join(' '));
      if (type === 'd') visit(path);
    }
  };
  visit('');
  return lines;
}

/** Every path below `dir` with its type, size and mtime: to prove nothing outside a root changed. */
export function snapshotOf(dir: string): string[] {
  const lines: string[] = [];
  const visit = (path: string) => {
    const stat = lstatSync(path);
    lines.push(`${path} ${stat.mode.toString(8)} ${stat.size} ${stat.mtimeMs} ${stat.isSymbolicLink() ? readlinkSync(path) : ''}`);
    if (stat.isDirectory()) for (const name of readdirSync(path).sort()) visit(`${path}/${name}`);
  };
  visit(dir);
  return lines;
}

export const isRoot = process.geteuid?.() === 0;

/** Rewrites a header's type flag (and its checksum), for entry kinds our writer does not produce. */
export function withTypeflag(header: Buffer, flag: string): Buffer {
  const copy = Buffer.from(header);
  copy[156] = flag.charCodeAt(0);
  copy.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += copy[i]!;
  copy.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return copy;
}
