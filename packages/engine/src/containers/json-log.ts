/**
 * docker's json-file log driver: one JSON object per line, `{"log":"…\n","stream":"stdout","time":"<RFC3339Nano>"}`,
 * rotated by size (`max-size`, default 10 MB) into `<path>.1` … `<path>.<max-file - 1>` (default 3 files).
 * Writes are synchronous appends: a line is either whole in the file or not there.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { CError } from '@c/errors';

export type LogStream = 'stdout' | 'stderr';

export const DEFAULT_LOG_MAX_SIZE = 10 * 1024 * 1024;
export const DEFAULT_LOG_MAX_FILE = 3;
/** docker splits lines longer than this into partial messages. */
const MAX_LINE = 16 * 1024;

export interface LogEntry {
  stream: LogStream;
  /** The text including its trailing newline (a partial line has none). */
  line: string;
  /** RFC 3339 with nanoseconds. */
  time: string;
}

/** `10m`, `512k`, `1g`, `100` (bytes) → bytes. */
export function parseByteSize(input: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(input.trim());
  if (!m) throw new CError('INVALID_ARGUMENT', `invalid size: '${input}'`, { hint: 'use a number with an optional k, m or g suffix, e.g. 10m' });
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.floor(Number(m[1]) * unit);
}

/**
 * A clock for log lines, in ns since the epoch: the wall clock's milliseconds, so that it follows a stepped clock or a
 * resumed VM as docker's time.Now does (a start-time origin plus the monotonic clock drifted from the wall in a
 * long-running daemon), and sub-millisecond digits from the monotonic clock. Strictly increasing, unless the wall
 * clock steps back by more than a millisecond: then it steps back with it. Refers to nothing outside itself (the
 * output worker evaluates its source).
 */
export function logClock(): () => bigint {
  let last = 0n;
  return () => {
    let ns = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    // The monotonic digits wrap at their own millisecond boundary, not the wall's: keep the order across the wrap.
    if (ns <= last && last - ns < 1_000_000n) ns = last + 1n;
    last = ns;
    return ns;
  };
}

const engineLogClock = logClock();

/**
 * Now (or `nowNs`) as RFC 3339 with 9 fractional digits (docker's RFC3339Nano, zero-padded). The default reads this
 * module's clock: the output worker, which evaluates this function's source, always passes `nowNs`.
 */
export function rfc3339Nano(nowNs: bigint = engineLogClock()): string {
  const ms = Number(nowNs / 1_000_000n);
  const iso = new Date(ms).toISOString();
  const frac = (nowNs % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

/** Parses an RFC 3339 time with up to 9 fractional digits into nanoseconds since the epoch. */
export function timeToNs(time: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) throw new CError('INVALID_ARGUMENT', `invalid timestamp "${time}"`, { hint: 'use RFC 3339, e.g. 2024-01-02T03:04:05Z' });
  const seconds = BigInt(Date.parse(`${m[1]}${m[3]}`)) / 1000n;
  return seconds * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

export interface JsonLogOptions {
  maxSize?: number;
  maxFile?: number;
  now?: () => string;
}

/** What the writer takes from Node: passed in, so that the output worker runs the class's own source text. */
export interface JsonLogDeps {
  fs: Pick<typeof import('node:fs'), 'openSync' | 'fstatSync' | 'writeSync' | 'closeSync' | 'existsSync' | 'renameSync' | 'rmSync'>;
  StringDecoder: typeof StringDecoder;
  maxLine: number;
}

export const NODE_LOG_DEPS: JsonLogDeps = { fs: { openSync, fstatSync, writeSync, closeSync, existsSync, renameSync, rmSync }, StringDecoder, maxLine: MAX_LINE };

/**
 * The json-file writer. Its code refers to nothing outside itself but globals and `deps` (no module-level names,
 * no field initializers), because output-pump.ts runs `JsonFileLogWriter.toString()` on its worker thread: the
 * same code logs there, from sources and from a bundle alike.
 */
export class JsonFileLogWriter {
  private declare fd: number;
  private declare size: number;
  private declare readonly deps: JsonLogDeps;
  private declare readonly pending: Record<LogStream, string>;
  // A multi-byte character may be split between two chunks.
  private declare readonly decoders: Record<LogStream, StringDecoder>;
  private declare readonly maxSize: number;
  private declare readonly maxFile: number;
  private declare readonly now: () => string;
  /** Lines encoded but not written yet, and their size in bytes. */
  private declare batch: string[];
  private declare batchBytes: number;
  declare readonly path: string;

  constructor(path: string, options: JsonLogOptions = {}, deps: JsonLogDeps = NODE_LOG_DEPS) {
    this.path = path;
    this.deps = deps;
    this.pending = { stdout: '', stderr: '' };
    this.decoders = { stdout: new deps.StringDecoder('utf8'), stderr: new deps.StringDecoder('utf8') };
    this.batch = [];
    this.batchBytes = 0;
    this.maxSize = options.maxSize ?? DEFAULT_LOG_MAX_SIZE;
    this.maxFile = Math.max(1, options.maxFile ?? DEFAULT_LOG_MAX_FILE);
    this.now = options.now ?? (() => rfc3339Nano());
    this.fd = deps.fs.openSync(path, 'a', 0o640);
    this.size = deps.fs.fstatSync(this.fd).size;
  }

  /**
   * Appends output of one stream; complete lines are written at once (one write(2) for all the lines of a chunk,
   * all stamped with the time the chunk arrived), a trailing partial line waits for more.
   */
  write(stream: LogStream, chunk: Buffer | string): void {
    const maxLine = this.deps.maxLine;
    const text = this.pending[stream] + (typeof chunk === 'string' ? chunk : this.decoders[stream].write(chunk));
    let time: string | undefined;
    let at = 0;
    for (;;) {
      const nl = text.indexOf('\n', at);
      if (nl >= 0 && nl - at < maxLine) {
        this.append({ log: text.slice(at, nl + 1), stream, time: (time ??= this.now()) });
        at = nl + 1;
      } else if (text.length - at >= maxLine) {
        this.append({ log: text.slice(at, at + maxLine), stream, time: (time ??= this.now()) });
        at += maxLine;
      } else break;
    }
    this.pending[stream] = text.slice(at);
    this.writeBatch();
  }

  /** Writes what is left of partial lines (the process ended without a final newline). */
  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      this.pending[stream] += this.decoders[stream].end();
      if (this.pending[stream] !== '') this.append({ log: this.pending[stream], stream, time: this.now() });
      this.pending[stream] = '';
    }
    this.writeBatch();
  }

  close(): void {
    this.flush();
    this.deps.fs.closeSync(this.fd);
  }

  private append(entry: { log: string; stream: LogStream; time: string }): void {
    const line = `${JSON.stringify(entry)}\n`;
    const length = Buffer.byteLength(line);
    if (this.size + this.batchBytes > 0 && this.size + this.batchBytes + length > this.maxSize) {
      this.writeBatch();
      this.rotate();
    }
    this.batch.push(line);
    this.batchBytes += length;
  }

  private writeBatch(): void {
    if (this.batch.length === 0) return;
    const bytes = Buffer.from(this.batch.join(''));
    this.batch = [];
    this.batchBytes = 0;
    // A short write (a full disk) would leave half a line: write the rest, as the one-line appends did.
    for (let done = 0; done < bytes.length; ) done += this.deps.fs.writeSync(this.fd, bytes, done);
    this.size += bytes.length;
  }

  private rotate(): void {
    const fs = this.deps.fs;
    fs.closeSync(this.fd);
    if (this.maxFile === 1) {
      fs.rmSync(this.path, { force: true });
    } else {
      fs.rmSync(`${this.path}.${this.maxFile - 1}`, { force: true });
      for (let n = this.maxFile - 2; n >= 1; n--) {
        if (fs.existsSync(`${this.path}.${n}`)) fs.renameSync(`${this.path}.${n}`, `${this.path}.${n + 1}`);
      }
      fs.renameSync(this.path, `${this.path}.1`);
    }
    this.fd = fs.openSync(this.path, 'a', 0o640);
    this.size = 0;
  }
}

export interface ReadLogOptions {
  stdout?: boolean;
  stderr?: boolean;
  /** Only entries at or after this time (RFC 3339, or unix seconds as a string/number). */
  since?: string | number;
  /** Only entries before this time. */
  until?: string | number;
  /** Only the last N entries (of those that pass the other filters); 'all' or undefined = everything. */
  tail?: number | 'all';
  follow?: boolean;
  /** With follow: true once no more output can come (the container stopped). */
  isDone?: () => boolean;
  /** With follow: how often to look for new lines. */
  pollMs?: number;
  signal?: AbortSignal;
}

function toNs(value: string | number): bigint {
  if (typeof value === 'number') return BigInt(Math.round(value * 1e9));
  if (/^\d+(\.\d+)?$/.test(value)) {
    const [s, f = ''] = value.split('.');
    return BigInt(s!) * 1_000_000_000n + BigInt(f.padEnd(9, '0').slice(0, 9));
  }
  return timeToNs(value);
}

function parseLine(text: string): LogEntry | undefined {
  try {
    const v = JSON.parse(text) as { log?: unknown; stream?: unknown; time?: unknown };
    if (typeof v.log !== 'string' || (v.stream !== 'stdout' && v.stream !== 'stderr') || typeof v.time !== 'string') return undefined;
    return { line: v.log, stream: v.stream, time: v.time };
  } catch {
    // A torn last line (crash while writing) is skipped.
    return undefined;
  }
}

/** Reads a file from `offset`, returning the complete lines and the offset after the last one. */
function readLinesFrom(fd: number, offset: number): { lines: string[]; offset: number } {
  const size = fstatSync(fd).size;
  if (size <= offset) return { lines: [], offset: size < offset ? 0 : offset };
  const buffer = Buffer.alloc(size - offset);
  let read = 0;
  while (read < buffer.length) {
    const n = readSync(fd, buffer, read, buffer.length - read, offset + read);
    if (n === 0) break;
    read += n;
  }
  const text = buffer.subarray(0, read).toString('utf8');
  const lastNl = text.lastIndexOf('\n');
  if (lastNl < 0) return { lines: [], offset };
  return { lines: text.slice(0, lastNl).split('\n'), offset: offset + Buffer.byteLength(text.slice(0, lastNl + 1)) };
}

function filesOldestFirst(path: string): string[] {
  const rotated: string[] = [];
  for (let n = 1; existsSync(`${path}.${n}`); n++) rotated.unshift(`${path}.${n}`);
  return existsSync(path) ? [...rotated, path] : rotated;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

/** Reads a json-file log (with its rotated files), filtered; with `follow`, keeps yielding new lines. */
export async function* readJsonLog(path: string, options: ReadLogOptions = {}): AsyncGenerator<LogEntry> {
  const wantStdout = options.stdout ?? true;
  const wantStderr = options.stderr ?? true;
  const since = options.since !== undefined ? toNs(options.since) : undefined;
  const until = options.until !== undefined ? toNs(options.until) : undefined;
  const keep = (e: LogEntry | undefined): e is LogEntry => {
    if (e === undefined) return false;
    if (e.stream === 'stdout' ? !wantStdout : !wantStderr) return false;
    if (since === undefined && until === undefined) return true;
    const t = timeToNs(e.time);
    return (since === undefined || t >= since) && (until === undefined || t < until);
  };
  const backlog: LogEntry[] = [];
  let current: { fd: number; ino: number; offset: number } | undefined;
  for (const file of filesOldestFirst(path)) {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      continue; // rotated away meanwhile
    }
    const { lines, offset } = readLinesFrom(fd, 0);
    for (const l of lines) {
      const e = parseLine(l);
      if (keep(e)) backlog.push(e);
    }
    if (file === path) current = { fd, ino: fstatSync(fd).ino, offset };
    else closeSync(fd);
  }
  try {
    const tail = options.tail === undefined || options.tail === 'all' ? undefined : Math.max(0, options.tail);
    yield* tail === undefined ? backlog : backlog.slice(backlog.length - tail);
    if (!options.follow) return;
    const poll = options.pollMs ?? 100;
    for (;;) {
      if (options.signal?.aborted) return;
      const done = options.isDone?.() ?? false;
      // Rotation renamed our file: finish it, then continue with the new one from its start.
      let fresh: { fd: number; ino: number } | undefined;
      try {
        const st = statSync(path);
        if (current === undefined || st.ino !== current.ino) {
          const fd = openSync(path, 'r');
          fresh = { fd, ino: fstatSync(fd).ino };
        }
      } catch {
        // not there (yet)
      }
      if (current !== undefined) {
        const { lines, offset } = readLinesFrom(current.fd, current.offset);
        current.offset = offset;
        for (const l of lines) {
          const e = parseLine(l);
          if (keep(e)) yield e;
        }
      }
      if (fresh !== undefined) {
        if (current !== undefined) closeSync(current.fd);
        current = { ...fresh, offset: 0 };
        continue;
      }
      if (done) return;
      await sleep(poll, options.signal);
    }
  } finally {
    if (current !== undefined) closeSync(current.fd);
  }
}
