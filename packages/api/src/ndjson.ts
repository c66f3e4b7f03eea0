import { CError } from '@c/errors';
import type { ProgressDetail, ProgressMessage } from './types/progress';

/**
 * Newline-delimited JSON, the format of Docker's pull/push/build progress and event streams:
 * one JSON value per line, `\n` terminated (Docker writes `\r\n` in a few places; both are accepted).
 */

/** Longest line the decoder buffers by default; progress lines are a few hundred bytes. */
export const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024;

/** One value as a line. JSON never contains a raw newline, so the framing is unambiguous. */
export function encodeJsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/** Incremental NDJSON decoder: chunks in, parsed values out. Blank lines are skipped. */
export class NdjsonDecoder {
  private readonly maxLineLength: number;
  private readonly textDecoder = new TextDecoder('utf-8', { fatal: true });
  private partial = '';
  private lineNumber = 0;

  constructor(options: { maxLineLength?: number } = {}) {
    this.maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  }

  push(chunk: Buffer | Uint8Array | string): unknown[] {
    const text = typeof chunk === 'string' ? chunk : this.decodeUtf8(chunk, true);
    const values: unknown[] = [];
    let start = 0;
    let newline = text.indexOf('\n', start);
    while (newline !== -1) {
      const line = this.partial + text.slice(start, newline);
      this.partial = '';
      this.checkLength(line.length);
      const value = this.parseLine(line);
      if (value !== undefined) values.push(value);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    this.partial += text.slice(start);
    this.checkLength(this.partial.length);
    return values;
  }

  /** Flushes a last line that had no trailing newline. */
  end(): unknown[] {
    const rest = this.partial + this.decodeUtf8(new Uint8Array(0), false);
    this.partial = '';
    const value = this.parseLine(rest);
    return value === undefined ? [] : [value];
  }

  private decodeUtf8(bytes: Uint8Array, stream: boolean): string {
    try {
      return this.textDecoder.decode(bytes, { stream });
    } catch (error) {
      throw new CError('INVALID_ARGUMENT', `NDJSON stream is not valid UTF-8 near line ${this.lineNumber + 1}`, {
        cause: error,
        hint: 'the peer sent binary data where JSON lines were expected',
      });
    }
  }

  private checkLength(length: number): void {
    if (length > this.maxLineLength) {
      throw new CError(
        'LIMIT_EXCEEDED',
        `NDJSON line ${this.lineNumber + 1} is longer than ${this.maxLineLength} characters`,
        { hint: 'the peer is not sending newline-delimited JSON, or raise maxLineLength' },
      );
    }
  }

  private parseLine(raw: string): unknown {
    this.lineNumber += 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return undefined;
    try {
      return JSON.parse(line) as unknown;
    } catch (error) {
      throw new CError('INVALID_ARGUMENT', `NDJSON line ${this.lineNumber} is not valid JSON: ${line.slice(0, 80)}`, {
        cause: error,
        hint: 'the stream is corrupt or not NDJSON',
      });
    }
  }
}

/** Parses every value of an NDJSON byte stream (e.g. an http.IncomingMessage). */
export async function* parseNdjson(
  source: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>,
  options: { maxLineLength?: number } = {},
): AsyncGenerator<unknown> {
  const decoder = new NdjsonDecoder(options);
  for await (const chunk of source) yield* decoder.push(chunk);
  yield* decoder.end();
}

/** Narrows a decoded value to a progress message: an object whose known fields have the right types. */
export function isProgressMessage(value: unknown): value is ProgressMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  for (const key of ['status', 'id', 'progress', 'stream', 'error'] as const) {
    if (record[key] !== undefined && typeof record[key] !== 'string') return false;
  }
  const detail = record.progressDetail;
  if (detail !== undefined && (typeof detail !== 'object' || detail === null)) return false;
  const errorDetail = record.errorDetail;
  if (errorDetail !== undefined && (typeof errorDetail !== 'object' || errorDetail === null)) return false;
  return true;
}

/** The message that ends a failed stream. Docker sends both fields; old clients read `error`, new ones `errorDetail`. */
export function progressError(message: string): ProgressMessage {
  return { error: message, errorDetail: { message } };
}

/** The error text of a failure message, or undefined for an ordinary progress message. */
export function progressErrorMessage(message: ProgressMessage): string | undefined {
  return message.errorDetail?.message ?? message.error;
}

/** Docker's `units.HumanSize`: decimal units, four significant digits (`1.049MB`, `512B`). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${Number(value.toPrecision(4))}${units[unit]}`;
}

/** Docker's text bar for `progress`: `[=====>        ]  1.049MB/2.1MB`, 50 columns wide. */
export function renderProgressBar(detail: ProgressDetail): string {
  const current = detail.current ?? 0;
  const total = detail.total ?? 0;
  if (total <= 0) return humanSize(current);
  const width = 50;
  const filled = Math.min(width, Math.floor((current / total) * width));
  const bar = filled >= width ? '='.repeat(width) : `${'='.repeat(filled)}>${' '.repeat(width - filled - 1)}`;
  return `[${bar}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}
