/**
 * A push-driven, synchronous tar parser. Each decompressed chunk is parsed at once on the caller's stack,
 * so entry handling needs no per-entry await. PAX values stay raw bytes (binary xattrs survive), extension
 * headers are bounded, and every header is checksum-verified.
 */
import { CError } from '@c/errors';
import { checkRegions, MAX_SPARSE_REGIONS, oldGnuRegions, paxMapRegions, SparseExpander, SparseMapReader, type SparseRegion } from './sparse';
import {
  BLOCK,
  type EntryType,
  type TarEntry,
  XATTR_PAX_PREFIX,
  headerChecksum,
  parseNumeric,
  parsePaxRecords,
  readString,
} from './tar-format';

/** Receives one entry's data; `end` is called after the last byte. */
export interface EntrySink {
  write(chunk: Buffer): void;
  /** Moves the write position `length` bytes on without writing: a hole of a sparse file. */
  skip?(length: number): void;
  end(): void;
}

/** Called for each entry; return a sink to receive the data of a regular file, or nothing to drop it. */
export type EntryHandler = (entry: TarEntry) => EntrySink | undefined;

export interface TarReaderLimits {
  /** Largest PAX or GNU long-name extension header accepted (bytes). */
  maxExtensionBytes: number;
  /** Largest real size of a sparse file (its holes cost no disk, but no file needs more). */
  maxSparseBytes: number;
}

const DEFAULT_LIMITS: TarReaderLimits = { maxExtensionBytes: 1 << 20, maxSparseBytes: 64 * 2 ** 30 };

/** GNU sparse details from PAX records (formats 0.1 and 1.0). */
interface PaxSparse {
  major?: string;
  minor?: string;
  name?: string;
  realSize?: number;
  map?: string;
}

/** An old GNU sparse header ('S') whose map continues in extension blocks. */
interface PendingGnuSparse {
  header: Buffer;
  regions: SparseRegion[];
  size: number;
  at: number;
}

const TYPES: Record<number, EntryType> = {
  0x00: 'file',
  0x30: 'file',
  0x37: 'file', // contiguous file
  0x31: 'link',
  0x32: 'symlink',
  0x33: 'char',
  0x34: 'block',
  0x35: 'directory',
  0x36: 'fifo',
};

const malformed = (what: string, offset: number) =>
  new CError('INVALID_ARGUMENT', `malformed tar stream at byte ${offset}: ${what}`, {
    hint: 'the layer is corrupt or not a tar archive; re-pull it',
    details: { offset },
  });

type State = 'header' | 'data' | 'skip' | 'extension' | 'done';

export class TarReader {
  private state: State = 'header';
  /** Bytes of a header block assembled across chunk boundaries. */
  private readonly headerBlock = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Data bytes left in the current entry, then its padding. */
  private remaining = 0;
  private padding = 0;
  private sink: EntrySink | undefined;
  private extensionType = 0;
  private extension: Buffer = Buffer.alloc(0);
  private extensionFill = 0;
  private pax: Map<string, Buffer> | undefined;
  private globalPax: Map<string, Buffer> | undefined;
  /** Extension bytes held for the next entry, and global ones for the whole archive: both bounded. */
  private pendingExtensionBytes = 0;
  private globalExtensionBytes = 0;
  private longName: string | undefined;
  private longLink: string | undefined;
  private pendingSparse: PendingGnuSparse | undefined;
  private paxSparse: PaxSparse | undefined;
  /** Total bytes consumed, for error messages. */
  private position = 0;
  private readonly limits: TarReaderLimits;

  constructor(
    private readonly handler: EntryHandler,
    limits: Partial<TarReaderLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** True once the end-of-archive block was seen. */
  get ended(): boolean {
    return this.state === 'done';
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      switch (this.state) {
        case 'done':
          return; // trailing zero blocks or padding after the end marker
        case 'header': {
          const take = Math.min(BLOCK - this.headerFill, chunk.length - offset);
          if (this.headerFill === 0 && take === BLOCK) {
            this.onHeader(chunk.subarray(offset, offset + BLOCK));
          } else {
            chunk.copy(this.headerBlock, this.headerFill, offset, offset + take);
            this.headerFill += take;
            if (this.headerFill === BLOCK) {
              this.headerFill = 0;
              this.onHeader(this.headerBlock);
            }
          }
          offset += take;
          this.position += take;
          break;
        }
        case 'data': {
          const take = Math.min(this.remaining, chunk.length - offset);
          this.sink?.write(chunk.subarray(offset, offset + take));
          offset += take;
          this.position += take;
          this.remaining -= take;
          if (this.remaining === 0) this.endData();
          break;
        }
        case 'skip': {
          const take = Math.min(this.padding, chunk.length - offset);
          offset += take;
          this.position += take;
          this.padding -= take;
          if (this.padding === 0) this.state = 'header';
          break;
        }
        case 'extension': {
          const take = Math.min(this.extension.length - this.extensionFill, chunk.length - offset);
          chunk.copy(this.extension, this.extensionFill, offset, offset + take);
          this.extensionFill += take;
          offset += take;
          this.position += take;
          if (this.extensionFill === this.extension.length) this.endExtension();
          break;
        }
      }
    }
  }

  /** Declares the end of input; throws when it cut an entry or header short. */
  finish(): void {
    if (this.state === 'done') return;
    if (this.state === 'header' && this.headerFill === 0 && !this.pax && !this.longName && !this.longLink && !this.pendingSparse) return;
    throw new CError('INVALID_ARGUMENT', `truncated tar stream: input ended at byte ${this.position} inside an entry`, {
      hint: 'the layer blob is incomplete; re-pull it',
      details: { offset: this.position },
    });
  }

  private onHeader(block: Buffer): void {
    const headerStart = this.position;
    if (this.pendingSparse) {
      this.onGnuSparseExtension(block);
      return;
    }
    if (isZeroBlock(block)) {
      this.state = 'done';
      return;
    }
    const stored = parseNumeric(block, 148, 8);
    const sums = headerChecksum(block);
    if (stored !== sums.unsigned && stored !== sums.signed) throw malformed('header checksum mismatch', headerStart);
    const typeflag = block[156]!;
    const size = parseNumeric(block, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) throw malformed('invalid size field', headerStart);

    if (typeflag === 0x78 /* x */ || typeflag === 0x67 /* g */ || typeflag === 0x4c /* L */ || typeflag === 0x4b /* K */) {
      // Successive headers accumulate (several 'x' before one entry, 'g' for the rest of the archive).
      const held = typeflag === 0x67 ? (this.globalExtensionBytes += size) : (this.pendingExtensionBytes += size);
      if (held > this.limits.maxExtensionBytes) {
        throw new CError('LIMIT_EXCEEDED', `tar extension headers up to byte ${headerStart} hold ${held} bytes`, {
          hint: `extension headers are limited to ${this.limits.maxExtensionBytes} bytes per entry (and for global headers)`,
          details: { offset: headerStart, size, held },
        });
      }
      this.extensionType = typeflag;
      this.extension = Buffer.alloc(size);
      this.extensionFill = 0;
      this.padding = padOf(size);
      if (size === 0) this.endExtension();
      else this.state = 'extension';
      return;
    }

    if (typeflag === 0x53 /* S: old GNU sparse */) {
      const regions: SparseRegion[] = [];
      oldGnuRegions(block, 386, 4, regions);
      this.pendingSparse = { header: Buffer.from(block), regions, size, at: headerStart };
      if (block[482] === 0) this.startGnuSparse();
      return;
    }

    const type = TYPES[typeflag];
    const entry = this.decodeEntry(block, type, typeflag, size, headerStart);
    const sparse = this.paxSparse;
    this.paxSparse = undefined;
    if (sparse && entry.type === 'file') {
      this.startPaxSparse(entry, sparse, size, headerStart);
      return;
    }
    // A PAX size replaces the header's; it is the amount of data that follows, whatever the type.
    const dataSize = entry.size !== (type === 'file' ? size : 0) ? entry.size : size;
    if (entry.type !== 'file') entry.size = 0;
    // Hard links, symlinks, devices and dirs carry no data even if a writer put a size there: skip it.
    this.remaining = dataSize;
    this.padding = padOf(dataSize);
    const sink = this.handler(entry);
    this.sink = entry.type === 'file' ? sink : undefined;
    if (dataSize === 0) this.endData();
    else this.state = 'data';
  }

  private decodeEntry(block: Buffer, type: EntryType | undefined, typeflag: number, size: number, at: number): TarEntry {
    if (type === undefined) {
      const flag = String.fromCharCode(typeflag);
      throw new CError('UNSUPPORTED', `tar entry "${readString(block, 0, 100)}" at byte ${at} has type '${flag}'`, {
        hint: 'only files, directories, links, devices and fifos are supported in layers (no GNU sparse or volume entries)',
        details: { offset: at, typeflag: flag },
      });
    }
    const ustar = block.readUInt32BE(257) === 0x75737461 && block[261] === 0x72 && block[262] === 0; // "ustar\0"
    let name = readString(block, 0, 100);
    if (ustar) {
      const prefix = readString(block, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const pax = this.mergedPax();
    const entry: TarEntry = {
      name: this.longName ?? name,
      type,
      mode: parseNumeric(block, 100, 8) & 0o7777,
      uid: parseNumeric(block, 108, 8),
      gid: parseNumeric(block, 116, 8),
      size: type === 'file' ? size : 0,
      mtime: parseNumeric(block, 136, 12),
      linkname: this.longLink ?? readString(block, 157, 100),
      devmajor: parseNumeric(block, 329, 8),
      devminor: parseNumeric(block, 337, 8),
      uname: readString(block, 265, 32),
      gname: readString(block, 297, 32),
    };
    this.longName = undefined;
    this.longLink = undefined;
    this.pendingExtensionBytes = 0;
    if (pax) this.applyPax(entry, pax, at);
    for (const field of ['mode', 'uid', 'gid', 'mtime', 'devmajor', 'devminor'] as const) {
      if (!Number.isFinite(entry[field])) throw malformed(`invalid ${field} field in "${entry.name}"`, at);
    }
    if (entry.name === '') throw malformed('empty entry name', at);
    return entry;
  }

  private mergedPax(): Map<string, Buffer> | undefined {
    const local = this.pax;
    this.pax = undefined;
    if (!this.globalPax) return local;
    return new Map([...this.globalPax, ...(local ?? [])]);
  }

  private applyPax(entry: TarEntry, pax: Map<string, Buffer>, at: number): void {
    for (const [key, value] of pax) {
      const text = () => value.toString('utf8');
      switch (key) {
        case 'path':
          entry.name = text();
          break;
        case 'linkpath':
          entry.linkname = text();
          break;
        case 'uid':
        case 'gid':
        case 'mtime':
        case 'atime': {
          const number = Number(text());
          if (!Number.isFinite(number)) throw malformed(`invalid PAX ${key} in "${entry.name}"`, at);
          entry[key] = number;
          break;
        }
        case 'uname':
          entry.uname = text();
          break;
        case 'gname':
          entry.gname = text();
          break;
        case 'size': {
          // Overrides the header field (files of 8 GiB and more, or writers that always emit it).
          const size = Number(text());
          if (!Number.isSafeInteger(size) || size < 0) throw malformed(`invalid PAX size in "${entry.name}"`, at);
          entry.size = size;
          break;
        }
        default:
          if (key.startsWith(XATTR_PAX_PREFIX)) {
            entry.xattrs ??= new Map();
            entry.xattrs.set(key.slice(XATTR_PAX_PREFIX.length), Buffer.from(value));
          } else if (key.startsWith('GNU.sparse.')) {
            this.paxSparseRecord(entry, key.slice('GNU.sparse.'.length), text(), at);
          }
      }
    }
  }

  private paxSparseRecord(entry: TarEntry, key: string, value: string, at: number): void {
    const sparse = (this.paxSparse ??= {});
    switch (key) {
      case 'major':
      case 'minor':
      case 'name':
      case 'map':
        sparse[key] = value;
        break;
      case 'size':
      case 'realsize': {
        const size = Number(value);
        if (!Number.isSafeInteger(size) || size < 0) throw malformed(`invalid GNU.sparse.${key} in "${entry.name}"`, at);
        sparse.realSize = size;
        break;
      }
      case 'offset':
      case 'numbytes':
        // Format 0.0 repeats these keys per region; a record map cannot hold them and no current tar writes it.
        throw new CError('UNSUPPORTED', `tar entry "${entry.name}" is a GNU sparse file in format 0.0`, {
          hint: 'rebuild the layer with a current GNU tar, or without --sparse',
        });
    }
  }

  /** Starts a PAX sparse file: 0.1 carries its map in a record, 1.0 at the start of the data. */
  private startPaxSparse(entry: TarEntry, sparse: PaxSparse, headerSize: number, at: number): void {
    if (sparse.realSize === undefined) throw malformed(`sparse entry "${entry.name}" has no real size`, at);
    if (sparse.name !== undefined) entry.name = sparse.name;
    const dataSize = entry.size !== headerSize ? entry.size : headerSize;
    entry.size = sparse.realSize;
    let sink: EntrySink | undefined;
    if (sparse.major === '1' && sparse.minor === '0') {
      sink = new SparseMapReader(entry.name, sparse.realSize, dataSize, this.limits.maxSparseBytes, this.handler(entry));
    } else if (sparse.map !== undefined) {
      const regions = paxMapRegions(sparse.map, entry.name);
      checkRegions(regions, sparse.realSize, dataSize, entry.name, this.limits.maxSparseBytes);
      sink = new SparseExpander(regions, sparse.realSize, this.handler(entry));
    } else {
      throw new CError('UNSUPPORTED', `tar entry "${entry.name}" is a GNU sparse file in an unknown format`, {
        hint: 'rebuild the layer without --sparse',
      });
    }
    this.startData(sink, dataSize);
  }

  /** An old GNU sparse header continues in 512-byte blocks of 21 regions each while byte 504 is set. */
  private onGnuSparseExtension(block: Buffer): void {
    const pending = this.pendingSparse!;
    oldGnuRegions(block, 0, 21, pending.regions);
    if (pending.regions.length > MAX_SPARSE_REGIONS) {
      checkRegions(pending.regions, 0, 0, readString(pending.header, 0, 100), this.limits.maxSparseBytes);
    }
    if (block[504] === 0) this.startGnuSparse();
  }

  private startGnuSparse(): void {
    const { header, regions, size, at } = this.pendingSparse!;
    this.pendingSparse = undefined;
    const entry = this.decodeEntry(header, 'file', 0x53, size, at);
    this.paxSparse = undefined;
    const realSize = parseNumeric(header, 483, 12);
    checkRegions(regions, realSize, size, entry.name, this.limits.maxSparseBytes);
    entry.size = realSize;
    this.startData(new SparseExpander(regions, realSize, this.handler(entry)), size);
  }

  private startData(sink: EntrySink, dataSize: number): void {
    this.remaining = dataSize;
    this.padding = padOf(dataSize);
    this.sink = sink;
    if (dataSize === 0) this.endData();
    else this.state = 'data';
  }

  private endExtension(): void {
    const data = this.extension;
    const at = this.position - data.length;
    this.extension = Buffer.alloc(0);
    try {
      if (this.extensionType === 0x78) this.pax = new Map([...(this.pax ?? []), ...parsePaxRecords(data)]);
      else if (this.extensionType === 0x67) this.globalPax = new Map([...(this.globalPax ?? []), ...parsePaxRecords(data)]);
      else {
        const end = data.indexOf(0);
        const value = data.subarray(0, end < 0 ? data.length : end).toString('utf8');
        if (this.extensionType === 0x4c) this.longName = value;
        else this.longLink = value;
      }
    } catch (error) {
      if (error instanceof CError) throw error;
      throw malformed((error as Error).message, at);
    }
    this.state = this.padding > 0 ? 'skip' : 'header';
  }

  private endData(): void {
    const sink = this.sink;
    this.sink = undefined;
    sink?.end();
    this.state = this.padding > 0 ? 'skip' : 'header';
  }
}

const padOf = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i += 4) if (block.readUInt32LE(i) !== 0) return false;
  return true;
}
