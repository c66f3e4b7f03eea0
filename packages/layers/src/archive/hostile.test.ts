/**
 * A corpus of hostile layers. Each is rejected with a clear error or neutralised, in both whiteout modes,
 * and nothing outside the snapshot root changes (a listing of the parent directory is compared).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ErrorCode, isCError } from '@c/errors';
import { type ApplyOptions, applyLayer } from './apply';
import { getXattr } from './xattrs';
import { END_OF_ARCHIVE, encodeHeader, paddingFor } from './tar-writer';
import type { TarEntry } from './tar-format';
import { type TestEntry, buildTar, chunked, isRoot, removeDir, snapshotOf, tempDir } from './testing';

interface Context {
  root: string;
  outside: string;
}

interface HostileCase {
  name: string;
  layer: (ctx: Context) => Promise<Buffer> | Buffer;
  /** Plants what a lower layer left in the root (copy mode) before applying. */
  setup?: (ctx: Context) => void;
  options?: ApplyOptions;
  /** Expected rejection. */
  code?: ErrorCode;
  message?: RegExp;
  /** For neutralised layers: what the root must look like afterwards. */
  check?: (ctx: Context) => void;
}

const tar = (entries: TestEntry[]) => () => buildTar(entries);
const entry = (fields: Partial<TarEntry> & { name: string }): TarEntry => ({
  type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000, linkname: '', devmajor: 0, devminor: 0, uname: '', gname: '', ...fields,
});
/** A tar written with our encoder, for what tar-stream cannot express (GNU long names, binary PAX). */
function rawTar(parts: Array<Buffer | TarEntry>): Buffer {
  return Buffer.concat([...parts.map((part) => (Buffer.isBuffer(part) ? part : encodeHeader(part))), END_OF_ARCHIVE]);
}
function gnuLongName(name: string): Buffer {
  const data = Buffer.from(`${name}\0`);
  const header = encodeHeader(entry({ name: '././@LongLink', size: data.length }));
  header[156] = 0x4c; // 'L'
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return Buffer.concat([header, data, paddingFor(data.length)]);
}
function paxHeader(records: Record<string, string>): Buffer {
  const body = Buffer.concat(Object.entries(records).map(([key, value]) => {
    const text = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(text) + 1;
    while (String(length).length + Buffer.byteLength(text) !== length) length = String(length).length + Buffer.byteLength(text);
    return Buffer.from(`${length}${text}`);
  }));
  const header = encodeHeader(entry({ name: 'pax', size: body.length }));
  header[156] = 0x78; // 'x'
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return Buffer.concat([header, body, paddingFor(body.length)]);
}

const plantOutsideLink = ({ root, outside }: Context) => symlinkSync(outside, `${root}/evil`);

const CASES: HostileCase[] = [
  { name: 'dot-dot file', layer: tar([{ name: '../escape', content: 'x' }]), code: 'UNSAFE_CONTENT', message: /"\.\.\/escape"/ },
  { name: 'nested dot-dot', layer: tar([{ name: 'a/../../escape', content: 'x' }]), code: 'UNSAFE_CONTENT' },
  { name: 'dot-slash dot-dot', layer: tar([{ name: './../x', content: 'x' }]), code: 'UNSAFE_CONTENT' },
  { name: 'dot-dot directory', layer: tar([{ name: '../d/', type: 'directory' }]), code: 'UNSAFE_CONTENT' },
  {
    name: 'absolute path lands inside the root',
    layer: ({ outside }) => buildTar([{ name: `${outside}/pwned`, content: 'x' }]),
    check: ({ root, outside }) => expect(readFileSync(`${root}${outside}/pwned`, 'utf8')).toBe('x'),
  },
  {
    name: 'symlink to an absolute dir, then write through it',
    layer: ({ outside }) => buildTar([{ name: 'evil', type: 'symlink', linkname: outside }, { name: 'evil/pwned', content: 'x' }]),
    code: 'UNSAFE_CONTENT', message: /symlink "evil"/,
  },
  {
    name: 'relative symlink climbing out, then write through it',
    layer: tar([{ name: 'a/evil', type: 'symlink', linkname: '../../../../../../../../tmp' }, { name: 'a/evil/pwned', content: 'x' }]),
    code: 'UNSAFE_CONTENT',
  },
  {
    name: 'symlink to / then a directory below it',
    layer: tar([{ name: 'evil', type: 'symlink', linkname: '/' }, { name: 'evil/tmp/', type: 'directory' }]),
    code: 'UNSAFE_CONTENT',
  },
  {
    name: 'symlink planted by a lower layer, then write through it',
    setup: plantOutsideLink,
    layer: tar([{ name: 'evil/pwned', content: 'x' }]),
    code: 'UNSAFE_CONTENT',
  },
  {
    name: 'symlink chain: link to link to outside',
    layer: ({ outside }) => buildTar([{ name: 'one', type: 'symlink', linkname: outside }, { name: 'two', type: 'symlink', linkname: 'one' }, { name: 'two/pwned', content: 'x' }]),
    code: 'UNSAFE_CONTENT',
  },
  {
    name: 'hard link with dot-dot target',
    layer: tar([{ name: 'h', type: 'link', linkname: '../outside/victim' }]),
    code: 'UNSAFE_CONTENT',
  },
  {
    name: 'hard link to an absolute path outside',
    layer: ({ outside }) => buildTar([{ name: 'h', type: 'link', linkname: `${outside}/victim` }]),
    code: 'INVALID_ARGUMENT', message: /not in this layer/,
  },
  {
    name: 'hard link through a symlink',
    layer: ({ outside }) => buildTar([{ name: 'evil', type: 'symlink', linkname: outside }, { name: 'h', type: 'link', linkname: 'evil/victim' }]),
    code: 'UNSAFE_CONTENT',
  },
  {
    name: 'hard link through a symlink from a lower layer',
    setup: plantOutsideLink,
    layer: tar([{ name: 'h', type: 'link', linkname: 'evil/victim' }]),
    code: 'UNSAFE_CONTENT',
  },
  {
    name: 'hard link to a symlink, then a file at that name',
    layer: ({ outside }) => buildTar([
      { name: 's', type: 'symlink', linkname: `${outside}/victim` },
      { name: 'h', type: 'link', linkname: 's' },
      { name: 'h', content: 'overwritten?' },
    ]),
    check: ({ root }) => expect(readFileSync(`${root}/h`, 'utf8')).toBe('overwritten?'),
  },
  { name: 'hard link to a directory', layer: tar([{ name: 'd/', type: 'directory' }, { name: 'h', type: 'link', linkname: 'd' }]), code: 'UNSAFE_CONTENT' },
  {
    name: 'file over an earlier symlink is replaced, not written through',
    layer: ({ outside }) => buildTar([{ name: 'f', type: 'symlink', linkname: `${outside}/victim` }, { name: 'f', content: 'mine' }]),
    check: ({ root }) => {
      expect(lstatSync(`${root}/f`).isFile()).toBe(true);
      expect(readFileSync(`${root}/f`, 'utf8')).toBe('mine');
    },
  },
  {
    name: 'directory replaced by a symlink, then written through',
    layer: ({ outside }) => buildTar([
      { name: 'd/', type: 'directory' },
      { name: 'd/f', content: 'x' },
      { name: 'd', type: 'symlink', linkname: outside },
      { name: 'd/g', content: 'x' },
    ]),
    code: 'UNSAFE_CONTENT', message: /"d\/g"/,
  },
  {
    name: 'directory replaced by a symlink keeps its deferred mode off the target',
    layer: ({ outside }) => buildTar([{ name: 'd/', type: 'directory', mode: 0o777 }, { name: 'd', type: 'symlink', linkname: outside }]),
    check: ({ root }) => expect(lstatSync(`${root}/d`).isSymbolicLink()).toBe(true),
  },
  { name: 'whiteout with dot-dot', layer: tar([{ name: '../.wh.outside' }]), code: 'UNSAFE_CONTENT' },
  { name: 'whiteout of ..', layer: tar([{ name: 'a/.wh...' }]), code: 'UNSAFE_CONTENT', message: /whiteout of "\.\."/ },
  { name: 'whiteout of .', layer: tar([{ name: '.wh..' }]), code: 'UNSAFE_CONTENT' },
  { name: 'whiteout of nothing', layer: tar([{ name: 'a/.wh.' }]), code: 'UNSAFE_CONTENT' },
  {
    name: 'whiteout through a symlink',
    layer: ({ outside }) => buildTar([{ name: 'evil', type: 'symlink', linkname: outside }, { name: 'evil/.wh.victim' }]),
    code: 'UNSAFE_CONTENT',
  },
  { name: 'whiteout through a lower-layer symlink', setup: plantOutsideLink, layer: tar([{ name: 'evil/.wh.victim' }]), code: 'UNSAFE_CONTENT' },
  { name: 'opaque marker through a lower-layer symlink', setup: plantOutsideLink, layer: tar([{ name: 'evil/.wh..wh..opq' }]), code: 'UNSAFE_CONTENT' },
  {
    name: 'whiteout of a lower-layer symlink removes the link only',
    setup: plantOutsideLink,
    layer: tar([{ name: '.wh.evil' }]),
    check: ({ root }) => expect(existsSync(`${root}/evil`) && !lstatSync(`${root}/evil`).isCharacterDevice()).toBe(false),
  },
  {
    name: 'opaque root over a lower-layer symlink',
    setup: plantOutsideLink,
    layer: tar([{ name: '.wh..wh..opq' }, { name: 'keep', content: 'k' }]),
    check: ({ root }) => expect(readFileSync(`${root}/keep`, 'utf8')).toBe('k'),
  },
  {
    name: 'absolute whiteout lands inside the root',
    layer: ({ outside }) => buildTar([{ name: `${outside}/.wh.victim` }]),
  },
  { name: 'root entry that is not a directory', layer: tar([{ name: './', type: 'symlink', linkname: '/' }]), code: 'UNSAFE_CONTENT' },
  { name: 'PAX path with dot-dot', layer: () => rawTar([paxHeader({ path: '../escape' }), entry({ name: 'innocent' })]), code: 'UNSAFE_CONTENT', message: /"\.\.\/escape"/ },
  { name: 'PAX path with a NUL byte', layer: () => rawTar([paxHeader({ path: 'a\0/../../x' }), entry({ name: 'innocent' })]), code: 'UNSAFE_CONTENT', message: /NUL/ },
  { name: 'GNU long name with dot-dot', layer: () => rawTar([gnuLongName(`${'a/'.repeat(60)}${'../'.repeat(70)}escape`), entry({ name: 'innocent' })]), code: 'UNSAFE_CONTENT' },
  { name: 'PAX linkpath escaping', layer: () => rawTar([paxHeader({ linkpath: '../../outside/victim' }), entry({ name: 'h', type: 'link' })]), code: 'UNSAFE_CONTENT' },
  {
    name: 'forged overlay xattrs are dropped',
    layer: tar([
      { name: 'd/', type: 'directory', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y', 'SCHILY.xattr.trusted.overlay.redirect': '/etc' } },
    ]),
    check: ({ root }) => {
      if (isRoot) expect(getXattr(`${root}/d`, 'trusted.overlay.opaque')).toBeUndefined();
      if (isRoot) expect(getXattr(`${root}/d`, 'trusted.overlay.redirect')).toBeUndefined();
    },
  },
  {
    name: 'forged user.overlay xattrs (overlayfs userxattr mode) are dropped',
    layer: tar([
      { name: 'd/', type: 'directory', pax: { 'SCHILY.xattr.user.overlay.opaque': 'y', 'SCHILY.xattr.user.overlay.redirect': '/etc', 'SCHILY.xattr.user.kept': 'k' } },
    ]),
    check: ({ root }) => {
      expect(getXattr(`${root}/d`, 'user.overlay.opaque')).toBeUndefined();
      expect(getXattr(`${root}/d`, 'user.overlay.redirect')).toBeUndefined();
      expect(getXattr(`${root}/d`, 'user.kept')?.toString()).toBe('k');
    },
  },
  { name: 'device node under the reject policy', layer: tar([{ name: 'mem', type: 'character-device', devmajor: 1, devminor: 1 }]), options: { devices: 'reject' }, code: 'UNSAFE_CONTENT', message: /"mem" is a char device/ },
  {
    name: 'device node under the skip policy',
    layer: tar([{ name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 }]),
    options: { devices: 'skip' },
    check: ({ root }) => expect(existsSync(`${root}/sda`)).toBe(false),
  },
  { name: 'gzip bomb (64 MiB of zeros, 16 MiB allowed)', layer: async () => gzipSync(await buildTar([{ name: 'zeros', content: Buffer.alloc(64 << 20) }])), options: { limits: { maxBytes: 16 << 20 } }, code: 'LIMIT_EXCEEDED', message: /more than 16777216 bytes/ },
  { name: 'gzip bomb caught by the ratio', layer: async () => gzipSync(await buildTar([{ name: 'zeros', content: Buffer.alloc(32 << 20) }])), options: { limits: { ratioFloor: 1 << 20, maxRatio: 100 } }, code: 'LIMIT_EXCEEDED', message: /expands more than 100×/ },
  { name: 'more entries than the bound', layer: tar(Array.from({ length: 101 }, (_, i) => ({ name: `f${i}`, content: '' }))), options: { limits: { maxEntries: 100 } }, code: 'LIMIT_EXCEEDED', message: /more than 100 entries/ },
  { name: 'oversized PAX header', layer: () => rawTar([entry({ name: 'p', xattrs: new Map([['user.big', Buffer.alloc(2 << 20)]]) })]), code: 'LIMIT_EXCEEDED' },
  {
    name: 'many PAX headers before one entry',
    layer: () => rawTar([
      ...Array.from({ length: 8 }, (_, i) => paxHeader({ [`SCHILY.xattr.user.k${i}`]: 'v'.repeat(200_000) })),
      entry({ name: 'innocent' }),
    ]),
    code: 'LIMIT_EXCEEDED', message: /extension headers/,
  },
  {
    name: 'sparse file claiming a petabyte',
    layer: () => rawTar([paxHeader({ 'GNU.sparse.map': '0,0', 'GNU.sparse.size': String(2 ** 50), 'GNU.sparse.name': 'big' }), entry({ name: 'big' })]),
    code: 'LIMIT_EXCEEDED', message: /sparse tar entry "big" declares/,
  },
  {
    name: 'sparse map with overlapping regions',
    layer: () => rawTar([paxHeader({ 'GNU.sparse.map': '0,0,100,0,50,0', 'GNU.sparse.size': '1000', 'GNU.sparse.name': 'overlap' }), entry({ name: 'overlap' })]),
    code: 'INVALID_ARGUMENT', message: /out of order/,
  },
  {
    name: 'sparse 1.0 map larger than its data',
    layer: () => rawTar([paxHeader({ 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.realsize': '10', 'GNU.sparse.name': 'short' }), entry({ name: 'short', size: 4 }), Buffer.from('1\n0\n'), Buffer.alloc(508)]),
    code: 'INVALID_ARGUMENT',
  },
  { name: 'malformed header checksum', layer: async () => { const t = await buildTar([{ name: 'a', content: 'x' }]); t[10] = 0x7a; return t; }, code: 'INVALID_ARGUMENT', message: /checksum/ },
  { name: 'random garbage', layer: () => Buffer.from('this is not a tar archive at all'.repeat(40)), code: 'INVALID_ARGUMENT' },
  { name: 'truncated archive', layer: async () => (await buildTar([{ name: 'a', content: 'x'.repeat(5000) }])).subarray(0, 2000), code: 'INVALID_ARGUMENT', message: /truncated/ },
  { name: 'truncated gzip stream', layer: async () => { const g = gzipSync(await buildTar([{ name: 'a', content: 'x'.repeat(50000) }])); return g.subarray(0, g.length - 20); }, code: 'INVALID_ARGUMENT' },
  { name: 'truncated zstd stream', layer: async () => { const z = execFileSync('zstd', ['-q', '-c'], { input: await buildTar([{ name: 'a', content: 'x'.repeat(50000) }]) }); return z.subarray(0, z.length - 10); }, code: 'INVALID_ARGUMENT', message: /decompressed/ },
  { name: 'gzip media type on a plain tar', layer: tar([{ name: 'a', content: 'x' }]), options: { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }, code: 'INVALID_ARGUMENT', message: /starts with none bytes/ },
];

describe.each(['delete', 'overlay'] as const)('hostile layers (%s whiteouts)', (whiteouts) => {
  let parent: string;
  let ctx: Context;
  beforeEach(() => {
    parent = tempDir('hostile');
    ctx = { root: `${parent}/root`, outside: `${parent}/outside` };
    mkdirSync(ctx.root);
    mkdirSync(`${ctx.outside}/sub`, { recursive: true });
    writeFileSync(`${ctx.outside}/victim`, 'original');
  });
  afterEach(() => removeDir(parent));

  it('has at least 30 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(30));

  // Overlay-form whiteouts are 0/0 devices and trusted.* xattrs: creating them needs root.
  it.skipIf(whiteouts === 'overlay' && !isRoot).each(CASES)('$name', async (testCase) => {
    testCase.setup?.(ctx);
    const layer = await testCase.layer(ctx);
    const outsideBefore = snapshotOf(ctx.outside);
    const parentEntriesBefore = snapshotOf(parent).filter((line) => !line.startsWith(`${ctx.root}/`) && !line.startsWith(`${ctx.root} `));
    let failure: unknown;
    try {
      await applyLayer(chunked(layer, 1000), ctx.root, { whiteouts, ...testCase.options });
    } catch (error) {
      failure = error;
    }
    if (testCase.code) {
      expect(isCError(failure, testCase.code), `expected ${testCase.code}, got ${String(failure)}`).toBe(true);
      if (testCase.message) expect((failure as Error).message).toMatch(testCase.message);
    } else {
      expect(failure).toBeUndefined();
      testCase.check?.(ctx);
    }
    expect(snapshotOf(ctx.outside)).toEqual(outsideBefore);
    expect(readFileSync(`${ctx.outside}/victim`, 'utf8')).toBe('original');
    const parentEntriesAfter = snapshotOf(parent).filter((line) => !line.startsWith(`${ctx.root}/`) && !line.startsWith(`${ctx.root} `));
    expect(parentEntriesAfter).toEqual(parentEntriesBefore);
  });
});
