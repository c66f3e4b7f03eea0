import { describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { TarReader } from './tar-reader';
import { END_OF_ARCHIVE, encodeHeader, paddingFor } from './tar-writer';
import { parseNumeric, writeNumeric, parsePaxRecords, encodePaxRecord, type TarEntry } from './tar-format';
import { buildTar, withTypeflag } from './testing';

interface Seen {
  entry: TarEntry;
  data: Buffer;
}

function readAll(tar: Buffer, chunkSize = tar.length): Seen[] {
  const seen: Seen[] = [];
  const reader = new TarReader((entry) => {
    const record: Seen = { entry, data: Buffer.alloc(0) };
    seen.push(record);
    return { write: (chunk) => (record.data = Buffer.concat([record.data, chunk])), end: () => undefined };
  });
  for (let i = 0; i < tar.length; i += chunkSize) reader.push(tar.subarray(i, i + chunkSize));
  reader.finish();
  return seen;
}

const base: TarEntry = { name: 'x', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000, linkname: '', devmajor: 0, devminor: 0, uname: '', gname: '' };

function ourTar(entries: { entry: TarEntry; data?: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const { entry, data } of entries) {
    parts.push(encodeHeader(entry));
    if (data) parts.push(data, paddingFor(data.length));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

describe('TarReader', () => {
  it('reads what tar-stream writes: types, modes, ids, long names, devices', async () => {
    const longName = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
    const tar = await buildTar([
      { name: 'dir', type: 'directory', mode: 0o1777, uid: 1000, gid: 100 },
      { name: 'dir/file', content: 'hello', mode: 0o4755, uid: 1, gid: 2 },
      { name: 'dir/link', type: 'symlink', linkname: '../target' },
      { name: 'dir/hard', type: 'link', linkname: 'dir/file' },
      { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 },
      { name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 },
      { name: 'pipe', type: 'fifo' },
      { name: longName, content: 'long' },
      { name: 'ünïcødé', content: 'u' },
    ]);
    const seen = readAll(tar, 100);
    expect(seen.map((s) => [s.entry.name.replace(/\/$/, ''), s.entry.type])).toEqual([
      ['dir', 'directory'],
      ['dir/file', 'file'],
      ['dir/link', 'symlink'],
      ['dir/hard', 'link'],
      ['null', 'char'],
      ['sda', 'block'],
      ['pipe', 'fifo'],
      [longName, 'file'],
      ['ünïcødé', 'file'],
    ]);
    expect(seen[0]!.entry).toMatchObject({ mode: 0o1777, uid: 1000, gid: 100 });
    expect(seen[1]!.entry).toMatchObject({ mode: 0o4755, uid: 1, gid: 2, size: 5 });
    expect(seen[1]!.data.toString()).toBe('hello');
    expect(seen[2]!.entry.linkname).toBe('../target');
    expect(seen[4]!.entry).toMatchObject({ devmajor: 1, devminor: 3 });
    expect(seen[7]!.data.toString()).toBe('long');
  });

  it('keeps binary PAX xattr values byte-exact and applies global headers', () => {
    const capability = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0xff, 0x80]);
    const tar = ourTar([{ entry: { ...base, name: 'ping', xattrs: new Map([['security.capability', capability], ['user.note', Buffer.from('é')]]) } }]);
    const [ping] = readAll(tar);
    expect(ping!.entry.xattrs?.get('security.capability')).toEqual(capability);
    expect(ping!.entry.xattrs?.get('user.note')?.toString()).toBe('é');
  });

  it('round-trips our writer for long link targets and big ids', () => {
    const entry: TarEntry = { ...base, name: `a/${'n'.repeat(200)}`, type: 'symlink', linkname: `/${'t'.repeat(300)}`, uid: 5_000_000, gid: 70_000_000 };
    const [seen] = readAll(ourTar([{ entry }]), 7);
    expect(seen!.entry).toMatchObject({ name: entry.name, linkname: entry.linkname, uid: 5_000_000, gid: 70_000_000 });
  });

  it('parses base-256 numbers and refuses non-octal digits', () => {
    const block = Buffer.alloc(12);
    writeNumeric(block, 0, 12, 2 ** 40);
    expect(block[0]! & 0x80).toBe(0x80);
    expect(parseNumeric(block, 0, 12)).toBe(2 ** 40);
    expect(parseNumeric(Buffer.from('0000755 \0'), 0, 9)).toBe(0o755);
    expect(parseNumeric(Buffer.from('12x4'), 0, 4)).toBeNaN();
  });

  it('encodes PAX record lengths that count themselves', () => {
    for (const size of [0, 5, 90, 95, 1000]) {
      const record = encodePaxRecord('k', Buffer.alloc(size, 0x61));
      expect(Number(record.toString('latin1').split(' ')[0])).toBe(record.length);
      expect(parsePaxRecords(record).get('k')?.length).toBe(size);
    }
  });

  it('rejects a header with a bad checksum', async () => {
    const tar = await buildTar([{ name: 'a', content: 'x' }]);
    tar[0] = 0x62;
    expect(() => readAll(tar)).toThrow(/checksum/);
  });

  it('rejects truncation inside an entry, accepts a missing end marker at a boundary', async () => {
    const tar = await buildTar([{ name: 'a', content: 'x'.repeat(1000) }]);
    expect(() => readAll(tar.subarray(0, 700))).toThrow(/truncated/);
    expect(() => readAll(tar.subarray(0, 300))).toThrow(/truncated/);
    expect(readAll(tar.subarray(0, 512 + 1024))).toHaveLength(1);
  });

  it('bounds extension headers, checks sparse maps and refuses unknown entries', () => {
    const hugePax = ourTar([{ entry: { ...base, name: 'p', xattrs: new Map([['user.big', Buffer.alloc(2 << 20)]]) } }]);
    try {
      readAll(hugePax);
      expect.unreachable();
    } catch (error) {
      expect(isCError(error, 'LIMIT_EXCEEDED')).toBe(true);
    }
    const withType = (flag: number, edit: (header: Buffer) => void = () => {}) => {
      const header = encodeHeader({ ...base, name: 'odd' });
      header[156] = flag;
      edit(header);
      let sum = 0;
      header.fill(0x20, 148, 156);
      for (const byte of header) sum += byte;
      header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
      return Buffer.concat([header, END_OF_ARCHIVE]);
    };
    expect(() => readAll(withType(0x56 /* V: volume label */))).toThrow(/type 'V'/);
    // An old GNU sparse header whose map names 10 bytes the entry does not store.
    const lying = withType(0x53, (header) => {
      header.write('00000000000\0', 386, 'latin1');
      header.write('00000000012\0', 398, 'latin1');
      header.write('00000000012\0', 483, 'latin1');
    });
    expect(() => readAll(lying)).toThrow(/maps 10 bytes of data but stores 0/);
  });

  it('skips data a writer attached to a non-file entry', () => {
    const header = encodeHeader({ ...base, name: 'd', type: 'directory' });
    header.write('00000000012\0', 124, 'latin1'); // size 10 on a directory
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const tar = Buffer.concat([header, Buffer.alloc(512, 0x41), encodeHeader({ ...base, name: 'next' }), END_OF_ARCHIVE]);
    expect(readAll(tar).map((s) => s.entry.name)).toEqual(['d/', 'next']);
  });

  it('takes the size from a PAX record over the header field', () => {
    const pax = encodePaxRecord('size', Buffer.from('5'));
    const paxHeader = withTypeflag(encodeHeader({ ...base, name: 'PaxHeaders/f', size: pax.length }), 'x');
    const fileHeader = encodeHeader({ ...base, name: 'f', size: 0 }); // header says 0, PAX says 5
    const tar = Buffer.concat([paxHeader, pax, paddingFor(pax.length), fileHeader, Buffer.from('hello'), paddingFor(5), END_OF_ARCHIVE]);
    const [file] = readAll(tar, 13);
    expect(file!.entry.size).toBe(5);
    expect(file!.data.toString()).toBe('hello');
  });
});
