/**
 * Encodes tar headers: ustar fields, with a PAX header for what ustar cannot hold (long or non-ASCII
 * names, large ids, xattrs). Output is a pure function of the entry, so diffs are reproducible.
 */
import { BLOCK, TYPE_FLAGS, type TarEntry, XATTR_PAX_PREFIX, encodePaxRecord, headerChecksum, writeNumeric } from './tar-format';

const MAX_OCTAL_8 = 0o7777777;
const isAscii = (text: string) => /^[\x01-\x7f]*$/.test(text);

function writeString(block: Buffer, offset: number, length: number, text: string): void {
  block.write(text, offset, length, 'utf8');
}

function ustarHeader(entry: TarEntry, name: string, linkname: string, typeflag: number, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  writeString(block, 0, 100, name);
  writeNumeric(block, 100, 8, entry.mode & 0o7777);
  writeNumeric(block, 108, 8, Math.min(entry.uid, MAX_OCTAL_8));
  writeNumeric(block, 116, 8, Math.min(entry.gid, MAX_OCTAL_8));
  writeNumeric(block, 124, 12, size);
  writeNumeric(block, 136, 12, Math.max(0, Math.floor(entry.mtime)));
  block[156] = typeflag;
  writeString(block, 157, 100, linkname);
  block.write('ustar\x0000', 257, 8, 'latin1');
  writeString(block, 265, 32, entry.uname);
  writeString(block, 297, 32, entry.gname);
  if (entry.type === 'char' || entry.type === 'block') {
    writeNumeric(block, 329, 8, entry.devmajor);
    writeNumeric(block, 337, 8, entry.devminor);
  }
  writeNumeric(block, 148, 7, headerChecksum(block).unsigned);
  block[155] = 0x20;
  return block;
}

/** Zero bytes that pad `size` bytes of data to a whole block. */
export function paddingFor(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The two zero blocks that end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);

/** The header block(s) for `entry`: a PAX extension header when needed, then the ustar header. */
export function encodeHeader(entry: TarEntry): Buffer {
  const name = entry.type === 'directory' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name;
  const records: Buffer[] = [];
  const needsPax = (text: string) => Buffer.byteLength(text) > 100 || !isAscii(text);
  if (needsPax(name)) records.push(encodePaxRecord('path', Buffer.from(name, 'utf8')));
  if (needsPax(entry.linkname)) records.push(encodePaxRecord('linkpath', Buffer.from(entry.linkname, 'utf8')));
  if (entry.uid > MAX_OCTAL_8) records.push(encodePaxRecord('uid', Buffer.from(String(entry.uid))));
  if (entry.gid > MAX_OCTAL_8) records.push(encodePaxRecord('gid', Buffer.from(String(entry.gid))));
  if (entry.xattrs) {
    for (const key of [...entry.xattrs.keys()].sort()) {
      records.push(encodePaxRecord(XATTR_PAX_PREFIX + key, entry.xattrs.get(key)!));
    }
  }
  const size = entry.type === 'file' ? entry.size : 0;
  const header = ustarHeader(entry, truncateUtf8(name, 100), truncateUtf8(entry.linkname, 100), TYPE_FLAGS[entry.type], size);
  if (records.length === 0) return header;
  const pax = Buffer.concat(records);
  const paxEntry: TarEntry = { ...entry, type: 'file', mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', linkname: '' };
  const paxName = truncateUtf8(`PaxHeaders/${name.replace(/\/$/, '')}`, 100);
  const paxHeader = ustarHeader(paxEntry, paxName, '', 0x78, pax.length);
  return Buffer.concat([paxHeader, pax, paddingFor(pax.length), header]);
}

/** The longest prefix of `text` that fits in `bytes` bytes of UTF-8 without splitting a character. */
function truncateUtf8(text: string, bytes: number): string {
  if (Buffer.byteLength(text) <= bytes) return text;
  let result = '';
  let used = 0;
  for (const char of text) {
    const length = Buffer.byteLength(char);
    if (used + length > bytes) break;
    result += char;
    used += length;
  }
  return result;
}
