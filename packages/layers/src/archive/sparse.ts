/**
 * GNU sparse files in tar: the stored data holds only the non-hole regions of a file, and a map says where
 * each belongs. Three encodings are met in the wild: the old GNU 'S' header (map in the header and in
 * extension blocks), PAX 0.1 (`GNU.sparse.map`), and PAX 1.0 (the map at the start of the data, padded to
 * a block). Maps are checked before a byte is written: regions in order, inside the file, adding up to the
 * stored data, and bounded in number.
 */
import { CError } from '@c/errors';
import { BLOCK, parseNumeric } from './tar-format';
import type { EntrySink } from './tar-reader';

export interface SparseRegion {
  offset: number;
  length: number;
}

/** Most regions one sparse file may have (each costs a few bytes of memory). */
export const MAX_SPARSE_REGIONS = 1 << 16;

const invalid = (name: string, why: string) =>
  new CError('INVALID_ARGUMENT', `sparse tar entry "${name}" ${why}`, {
    hint: 'the layer is corrupt; re-pull it or rebuild it without --sparse',
    details: { entry: name },
  });

/** Reads `count` (offset, numbytes) pairs of 12-byte numeric fields from an old GNU header or extension block. */
export function oldGnuRegions(block: Uint8Array, at: number, count: number, into: SparseRegion[]): void {
  for (let i = 0; i < count; i++) {
    const base = at + i * 24;
    if (block[base] === 0) return; // unused slot: the map ends here
    into.push({ offset: parseNumeric(block, base, 12), length: parseNumeric(block, base + 12, 12) });
  }
}

/** Parses PAX 0.1's `GNU.sparse.map`: "offset,length,offset,length…". */
export function paxMapRegions(map: string, name: string): SparseRegion[] {
  const numbers = map === '' ? [] : map.split(',').map(Number);
  if (numbers.length % 2 !== 0) throw invalid(name, 'has a sparse map with an odd number of values');
  const regions: SparseRegion[] = [];
  for (let i = 0; i < numbers.length; i += 2) regions.push({ offset: numbers[i]!, length: numbers[i + 1]! });
  return regions;
}

/** Checks a map against the file's real size and the bytes stored; throws INVALID_ARGUMENT or LIMIT_EXCEEDED. */
export function checkRegions(regions: readonly SparseRegion[], realSize: number, stored: number, name: string, maxRealSize: number): void {
  if (!Number.isSafeInteger(realSize) || realSize < 0) throw invalid(name, 'has an invalid real size');
  if (realSize > maxRealSize) {
    throw new CError('LIMIT_EXCEEDED', `sparse tar entry "${name}" declares ${realSize} bytes, over the ${maxRealSize}-byte limit`, {
      hint: 'raise maxSparseBytes if the image is trusted',
      details: { entry: name, realSize },
    });
  }
  if (regions.length > MAX_SPARSE_REGIONS) {
    throw new CError('LIMIT_EXCEEDED', `sparse tar entry "${name}" has more than ${MAX_SPARSE_REGIONS} regions`, {
      hint: 'the layer is hostile or corrupt',
      details: { entry: name },
    });
  }
  let end = 0;
  let total = 0;
  for (const { offset, length } of regions) {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < end || length < 0 || offset + length > realSize) {
      throw invalid(name, 'has a sparse map with regions out of order or outside the file');
    }
    end = offset + length;
    total += length;
  }
  if (total !== stored) throw invalid(name, `maps ${total} bytes of data but stores ${stored}`);
}

/** Places the stored bytes of a sparse file at their offsets, leaving the holes unwritten. */
export class SparseExpander implements EntrySink {
  private region = 0;
  /** Bytes of the current region already written. */
  private done = 0;
  /** Where the inner sink's write position is. */
  private position = 0;

  constructor(
    private readonly regions: readonly SparseRegion[],
    private readonly realSize: number,
    private readonly inner: EntrySink | undefined,
  ) {}

  write(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const region = this.regions[this.region];
      if (!region) return; // more data than mapped: checked before, cannot happen
      if (this.done === 0) this.moveTo(region.offset);
      const take = Math.min(region.length - this.done, chunk.length - at);
      this.inner?.write(chunk.subarray(at, at + take));
      this.position += take;
      this.done += take;
      at += take;
      if (this.done === region.length) {
        this.region++;
        this.done = 0;
      }
    }
  }

  end(): void {
    // Zero-length regions (GNU tar ends a map with one at the real size) and a trailing hole.
    this.moveTo(this.realSize);
    this.inner?.end();
  }

  private moveTo(offset: number): void {
    const gap = offset - this.position;
    if (gap <= 0) return;
    if (this.inner?.skip) this.inner.skip(gap);
    else for (let left = gap; left > 0; left -= BLOCK * 128) this.inner?.write(Buffer.alloc(Math.min(left, BLOCK * 128)));
    this.position = offset;
  }
}

/**
 * PAX 1.0: the data starts with the map as decimal lines (count, then offset and length per region),
 * padded to a block; the file's bytes follow. Reads the map, then hands the rest to a SparseExpander.
 */
export class SparseMapReader implements EntrySink {
  private header: Buffer[] = [];
  private headerBytes = 0;
  private expander: SparseExpander | undefined;

  constructor(
    private readonly name: string,
    private readonly realSize: number,
    /** Data bytes of the entry, map included. */
    private readonly dataSize: number,
    private readonly maxRealSize: number,
    private readonly inner: EntrySink | undefined,
  ) {}

  write(chunk: Buffer): void {
    if (this.expander) {
      this.expander.write(chunk);
      return;
    }
    this.header.push(chunk);
    this.headerBytes += chunk.length;
    const parsed = this.tryParse();
    if (!parsed) {
      if (this.headerBytes > MAX_SPARSE_REGIONS * 2 * 21 + BLOCK) throw invalid(this.name, 'has a sparse map that does not end');
      return;
    }
    const all = Buffer.concat(this.header);
    this.header = [];
    checkRegions(parsed.regions, this.realSize, this.dataSize - parsed.mapBytes, this.name, this.maxRealSize);
    this.expander = new SparseExpander(parsed.regions, this.realSize, this.inner);
    if (all.length > parsed.mapBytes) this.expander.write(all.subarray(parsed.mapBytes));
  }

  end(): void {
    if (!this.expander) throw invalid(this.name, 'ends inside its sparse map');
    this.expander.end();
  }

  /** The regions and the padded size of the map, once enough bytes have arrived. */
  private tryParse(): { regions: SparseRegion[]; mapBytes: number } | undefined {
    const text = Buffer.concat(this.header);
    let at = 0;
    const next = (): number | undefined => {
      const newline = text.indexOf(0x0a, at);
      if (newline < 0) return undefined;
      const field = text.subarray(at, newline).toString('latin1');
      if (!/^\d{1,19}$/.test(field)) throw invalid(this.name, 'has a malformed sparse map');
      at = newline + 1;
      return Number(field);
    };
    const count = next();
    if (count === undefined) return undefined;
    if (count > MAX_SPARSE_REGIONS) {
      throw new CError('LIMIT_EXCEEDED', `sparse tar entry "${this.name}" has more than ${MAX_SPARSE_REGIONS} regions`, {
        hint: 'the layer is hostile or corrupt',
        details: { entry: this.name },
      });
    }
    const regions: SparseRegion[] = [];
    for (let i = 0; i < count; i++) {
      const offset = next();
      if (offset === undefined) return undefined;
      const length = next();
      if (length === undefined) return undefined;
      regions.push({ offset, length });
    }
    const mapBytes = Math.ceil(at / BLOCK) * BLOCK;
    if (mapBytes > this.dataSize) throw invalid(this.name, 'has a sparse map larger than its data');
    if (text.length < mapBytes) return undefined; // the map's padding is not data: wait for all of it
    return { regions, mapBytes };
  }
}
