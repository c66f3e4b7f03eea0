import { CError } from '@c/errors';

/**
 * Docker's multiplexed stdio stream (`application/vnd.docker.multiplexed-stream`, also sent as raw-stream for non-TTY
 * attach/exec/logs): each frame is an 8-byte header `[stream, 0, 0, 0, size uint32 BE]` followed by `size` bytes.
 */

/** Stream IDs of the frame header. 3 is what Docker uses to report a daemon-side error inside the stream. */
export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const SYSTEMERR = 3;

export type StreamId = typeof STDIN | typeof STDOUT | typeof STDERR | typeof SYSTEMERR;

export const FRAME_HEADER_SIZE = 8;
/** Largest payload a decoder accepts by default; Docker writes frames of at most 32 KiB. */
export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;

export interface Frame {
  stream: StreamId;
  payload: Buffer;
}

function isStreamId(value: number): value is StreamId {
  return value >= STDIN && value <= SYSTEMERR;
}

/** The 8-byte header plus payload. An empty payload still yields a frame (Docker never sends one, but it is valid). */
export function encodeFrame(stream: StreamId, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  if (body.length > 0xffffffff) {
    throw new CError('LIMIT_EXCEEDED', `stream frame of ${body.length} bytes exceeds the uint32 size field`, {
      hint: 'split the payload into several frames',
    });
  }
  const header = Buffer.alloc(FRAME_HEADER_SIZE);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/**
 * Incremental decoder: feed it chunks as they arrive (split anywhere, even inside a header) and get whole frames back.
 * Rejects unknown stream IDs, non-zero padding and frames above `maxFrameSize`, since the peer is not trusted.
 */
export class FrameDecoder {
  private readonly maxFrameSize: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes needed before the next frame can be complete (a header, or a header plus its payload). */
  private needed = FRAME_HEADER_SIZE;

  constructor(options: { maxFrameSize?: number } = {}) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  }

  /** Bytes buffered towards a frame that is not complete yet. */
  get buffered(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): Frame[] {
    if (chunk.length === 0) return [];
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // Wait for the whole frame before joining chunks: joining on every push is quadratic for a large frame.
    if (this.pendingBytes < this.needed) return [];
    let data = this.pending.length === 1 ? chunk : Buffer.concat(this.pending, this.pendingBytes);
    const frames: Frame[] = [];
    this.needed = FRAME_HEADER_SIZE;
    while (data.length >= FRAME_HEADER_SIZE) {
      const stream = data[0] ?? -1;
      if (!isStreamId(stream) || data[1] !== 0 || data[2] !== 0 || data[3] !== 0) {
        throw new CError('INVALID_ARGUMENT', `malformed stdio frame header ${data.subarray(0, 8).toString('hex')}`, {
          hint: 'the stream is not multiplexed (a TTY stream is raw) or is corrupt',
        });
      }
      const size = data.readUInt32BE(4);
      if (size > this.maxFrameSize) {
        throw new CError('LIMIT_EXCEEDED', `stdio frame of ${size} bytes exceeds the limit of ${this.maxFrameSize}`, {
          hint: 'raise maxFrameSize if the peer is trusted to send larger frames',
        });
      }
      if (data.length < FRAME_HEADER_SIZE + size) {
        this.needed = FRAME_HEADER_SIZE + size;
        break;
      }
      // Copy so a frame does not pin the whole (possibly large) chunk it came from.
      frames.push({ stream, payload: Buffer.from(data.subarray(FRAME_HEADER_SIZE, FRAME_HEADER_SIZE + size)) });
      data = data.subarray(FRAME_HEADER_SIZE + size);
    }
    this.pending = data.length > 0 ? [data] : [];
    this.pendingBytes = data.length;
    return frames;
  }

  /** Call at end of input; throws when the stream stopped inside a frame. */
  end(): void {
    if (this.pendingBytes > 0) {
      throw new CError('INVALID_ARGUMENT', `stdio stream ended inside a frame (${this.pendingBytes} bytes left over)`, {
        hint: 'the connection was cut; retry the request',
      });
    }
  }
}

/** Decodes a whole multiplexed stream (any async iterable of chunks, e.g. an http.IncomingMessage). */
export async function* demultiplex(
  source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  options: { maxFrameSize?: number } = {},
): AsyncGenerator<Frame> {
  const decoder = new FrameDecoder(options);
  for await (const chunk of source) {
    yield* decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  decoder.end();
}
