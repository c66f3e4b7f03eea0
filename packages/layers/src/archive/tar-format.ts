/**
 * The tar entry model shared by the reader and the writer (ustar + PAX + GNU long names), and the
 * numeric field codecs. Kept byte-exact: PAX values such as `SCHILY.xattr.security.capability` are binary.
 */

export type EntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

export interface TarEntry {
  /** The name as stored (PAX `path` or GNU long name win over the header field). */
  name: string;
  type: EntryType;
  /** Permission bits including setuid/setgid/sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Size of the entry's data; 0 for everything but regular files. */
  size: number;
  /** Seconds since the epoch; fractional when a PAX header carries it. */
  mtime: number;
  atime?: number;
  /** Target of a symlink, or the earlier entry a hard link points at. */
  linkname: string;
  devmajor: number;
  devminor: number;
  uname: string;
  gname: string;
  /** Extended attributes from PAX `SCHILY.xattr.<name>` records. */
  xattrs?: Map<string, Buffer>;
}

export const BLOCK = 512;

export const TYPE_FLAGS: Record<EntryType, number> = {
  file: 0x30, // '0'
  link: 0x31,
  symlink: 0x32,
  char: 0x33,
  block: 0x34,
  directory: 0x35,
  fifo: 0x36,
};

export const XATTR_PAX_PREFIX = 'SCHILY.xattr.';

/** Parses a numeric header field: octal text, or GNU base-256 when the high bit of the first byte is set. */
export function parseNumeric(block: Uint8Array, offset: number, length: number): number {
  const first = block[offset]!;
  if (first & 0x80) {
    // base-256, two's complement when the first byte is 0xff
    const negative = first === 0xff;
    let value = 0;
    for (let i = 0; i < length; i++) {
      let byte = block[offset + i]!;
      if (i === 0) byte &= 0x7f;
      if (negative) byte ^= 0xff;
      value = value * 256 + byte;
      if (value > Number.MAX_SAFE_INTEGER) return Number.NaN;
    }
    return negative ? -(value + 1) : value;
  }
  let i = offset;
  const end = offset + length;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++; // leading spaces/NULs
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = block[i]!;
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) return Number.NaN;
    value = value * 8 + (c - 0x30);
    digits++;
  }
  return digits === 0 ? 0 : value;
}

/** Writes `value` as zero-padded octal followed by a NUL, or base-256 when it does not fit. */
export function writeNumeric(block: Uint8Array, offset: number, length: number, value: number): void {
  const octal = Math.max(0, Math.floor(value)).toString(8);
  if (octal.length <= length - 1) {
    const padded = octal.padStart(length - 1, '0');
    for (let i = 0; i < length - 1; i++) block[offset + i] = padded.charCodeAt(i);
    block[offset + length - 1] = 0;
    return;
  }
  let rest = Math.floor(value);
  for (let i = length - 1; i > 0; i--) {
    block[offset + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  block[offset] = 0x80;
}

/** The header checksum: the byte sum with the checksum field counted as spaces. */
export function headerChecksum(block: Uint8Array): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return { unsigned, signed };
}

/** Reads a NUL-terminated string field. */
export function readString(block: Uint8Array, offset: number, length: number): string {
  let end = offset;
  const limit = offset + length;
  while (end < limit && block[end] !== 0) end++;
  // Headers are Buffers: slicing the text out directly spares a view object per field.
  if (Buffer.isBuffer(block)) return block.toString('utf8', offset, end);
  return Buffer.from(block.buffer, block.byteOffset + offset, end - offset).toString('utf8');
}

/** Parses PAX records (`<len> <key>=<value>\n`), keeping values as raw bytes. */
export function parsePaxRecords(data: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let offset = 0;
  while (offset < data.length) {
    if (data[offset] === 0) break; // padding some writers leave
    const space = data.indexOf(0x20, offset);
    if (space < 0 || space - offset > 20) throw new Error('a PAX record has no length');
    const length = Number(data.subarray(offset, space).toString('latin1'));
    if (!Number.isInteger(length) || length <= space - offset + 1 || offset + length > data.length) {
      throw new Error('a PAX record length is out of range');
    }
    const record = data.subarray(space + 1, offset + length);
    if (record[record.length - 1] !== 0x0a) throw new Error('a PAX record does not end with a newline');
    const equals = record.indexOf(0x3d);
    if (equals <= 0) throw new Error('a PAX record has no key');
    records.set(record.subarray(0, equals).toString('utf8'), record.subarray(equals + 1, record.length - 1));
    offset += length;
  }
  return records;
}

/** Encodes one PAX record; its length prefix counts itself. */
export function encodePaxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length), 'latin1'), body]);
}
