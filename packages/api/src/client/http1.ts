/**
 * A small HTTP/1.1 client over a unix socket, for the Engine API: one request per connection; response bodies framed
 * by Content-Length, chunked transfer coding, or the end of the connection; request bodies as a buffer or a stream
 * (sent chunked); `Upgrade` to a raw stream. It exists because loading node:http costs 13-16 ms of every CLI
 * start-up here (a `c run` is ~100 ms end to end), and a unix-socket client to one daemon needs none of its agents,
 * pooling or TLS.
 */
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { HttpProtocolError, MAX_RESPONSE_HEAD_BYTES, headerValue, parseResponseHead, serializeRequestHead, type ResponseHeaders } from './http1-head';

/** The longest chunk-size line accepted: longer is not HTTP. */
const MAX_CHUNK_LINE = 1024;

export { HttpProtocolError, type ResponseHeaders };

/** A response body as a stream, with its status and headers (the part of IncomingMessage the client uses). */
export class ApiResponse extends Readable {
  /** True once the whole body has arrived (as IncomingMessage.complete). */
  complete = false;

  constructor(
    readonly statusCode: number,
    readonly statusMessage: string,
    readonly headers: ResponseHeaders,
    private readonly socket: Socket,
  ) {
    super();
  }

  override _read(): void {
    this.socket.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    // As IncomingMessage: an error nobody listens for is not thrown at the process; a reader that comes later
    // sees the stream end prematurely.
    callback(this.listenerCount('error') > 0 ? error : null);
  }
}

export interface Http1Request {
  socketPath: string;
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Streamed with chunked transfer coding. */
  upload?: NodeJS.ReadableStream;
  /** Ask for `Upgrade: tcp`; a 101 answer hands back the raw socket. */
  upgrade?: boolean;
  signal?: AbortSignal;
  /** Fail if no response head arrives within this many ms (0: wait forever). */
  headTimeoutMs: number;
  /** Builds the error for a head timeout. */
  onHeadTimeout: () => Error;
}

export type Http1Result =
  | { kind: 'response'; response: ApiResponse }
  | { kind: 'upgraded'; statusCode: number; headers: ResponseHeaders; socket: Socket };

function abortError(): Error {
  const error = new Error('The operation was aborted');
  error.name = 'AbortError';
  return error;
}

/** Serializes the request head, with the framing headers this client's requests take. */
function requestHead(request: Http1Request): string {
  const headers: Record<string, string> = { Host: 'docker', ...request.headers };
  if (request.body) headers['Content-Length'] = String(request.body.length);
  else if (request.upload) headers['Transfer-Encoding'] = 'chunked';
  else if (request.method === 'POST' || request.method === 'PUT') headers['Content-Length'] = '0';
  headers.Connection = request.upgrade ? 'Upgrade' : 'close';
  if (request.upgrade) headers.Upgrade = 'tcp';
  return serializeRequestHead(request.method, request.path, headers);
}

/**
 * Decodes a body with chunked transfer coding. `push` gets data; returns true when the last chunk (and trailers)
 * have been read.
 */
class ChunkedDecoder {
  private state: 'size' | 'data' | 'data-end' | 'trailers' | 'done' = 'size';
  private remaining = 0;
  private line = '';

  constructor(private readonly push: (data: Buffer) => void) {}

  write(input: Buffer): boolean {
    let at = 0;
    while (at < input.length && this.state !== 'done') {
      if (this.state === 'data') {
        const take = Math.min(this.remaining, input.length - at);
        this.push(input.subarray(at, at + take));
        at += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'data-end';
        continue;
      }
      // Line-oriented states: read up to LF.
      const lf = input.indexOf(0x0a, at);
      const end = lf === -1 ? input.length : lf;
      this.line += input.toString('latin1', at, end);
      if (this.line.length > MAX_CHUNK_LINE) throw new HttpProtocolError('chunk line too long');
      at = end;
      if (lf === -1) break;
      at = lf + 1;
      const line = this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line;
      this.line = '';
      if (this.state === 'data-end') {
        if (line !== '') throw new HttpProtocolError('chunk data not followed by CRLF');
        this.state = 'size';
      } else if (this.state === 'size') {
        const size = /^([0-9a-fA-F]{1,12})(?:;.*)?$/.exec(line);
        if (!size) throw new HttpProtocolError(`bad chunk size line: ${JSON.stringify(line.slice(0, 40))}`);
        this.remaining = Number.parseInt(size[1]!, 16);
        this.state = this.remaining === 0 ? 'trailers' : 'data';
      } else if (line === '') {
        this.state = 'done';
      }
    }
    return this.state === 'done';
  }
}

/** Sends one request on a new connection; resolves once the response head has arrived. */
export function http1Request(request: Http1Request): Promise<Http1Result> {
  return new Promise((resolve, reject) => {
    if (request.signal?.aborted) return reject(abortError());
    let head: string;
    try {
      head = requestHead(request);
    } catch (error) {
      return reject(error);
    }
    const socket = connect(request.socketPath);
    let settled = false;
    let response: ApiResponse | undefined;
    let buffered: Buffer[] = [];
    let bufferedBytes = 0;
    /** What the body still expects: bytes left, chunked, or until the connection ends. */
    let framing: { kind: 'length'; left: number } | { kind: 'chunked'; decoder: ChunkedDecoder } | { kind: 'close' } | undefined;

    const fail = (error: Error) => {
      if (!settled) {
        settled = true;
        socket.destroy();
        reject(error);
      } else if (response && !response.complete) {
        response.destroy(error);
      } else {
        socket.destroy();
      }
    };
    const onAbort = () => fail(abortError());
    request.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => request.signal?.removeEventListener('abort', onAbort);

    if (request.headTimeoutMs > 0) {
      socket.setTimeout(request.headTimeoutMs, () => {
        if (!settled) fail(request.onHeadTimeout());
      });
    }

    const finishBody = () => {
      if (!response || response.complete) return;
      response.complete = true;
      cleanup();
      response.push(null);
      socket.end();
    };
    const deliver = (data: Buffer) => {
      if (data.length > 0 && !response!.push(data)) socket.pause();
    };
    const body = (data: Buffer) => {
      if (!framing || !response) return;
      if (framing.kind === 'length') {
        const take = Math.min(framing.left, data.length);
        deliver(data.subarray(0, take));
        framing.left -= take;
        if (framing.left === 0) finishBody();
      } else if (framing.kind === 'chunked') {
        if (framing.decoder.write(data)) finishBody();
      } else {
        deliver(data);
      }
    };

    const onHead = (rest: Buffer, text: string) => {
      const parsed = parseResponseHead(text);
      socket.setTimeout(0);
      if (request.upgrade && parsed.statusCode === 101) {
        settled = true;
        cleanup();
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('error', onError);
        // Without a 'data' listener the socket must not flow on, or the first bytes of the stream are lost.
        socket.pause();
        if (rest.length > 0) socket.unshift(rest);
        resolve({ kind: 'upgraded', statusCode: 101, headers: parsed.headers, socket });
        return;
      }
      response = new ApiResponse(parsed.statusCode, parsed.statusMessage, parsed.headers, socket);
      const noBody = request.method === 'HEAD' || parsed.statusCode === 204 || parsed.statusCode === 304 || (parsed.statusCode >= 100 && parsed.statusCode < 200);
      const encoding = headerValue(parsed.headers['transfer-encoding'])?.toLowerCase();
      const length = headerValue(parsed.headers['content-length']);
      if (noBody) framing = { kind: 'length', left: 0 };
      else if (encoding !== undefined && encoding.includes('chunked')) framing = { kind: 'chunked', decoder: new ChunkedDecoder(deliver) };
      else if (length !== undefined) {
        if (!/^\d{1,15}$/.test(length)) throw new HttpProtocolError(`bad Content-Length: ${length}`);
        framing = { kind: 'length', left: Number(length) };
      } else framing = { kind: 'close' };
      settled = true;
      resolve({ kind: 'response', response });
      if (framing.kind === 'length' && framing.left === 0) finishBody();
      else if (rest.length > 0) body(rest);
    };

    function onData(data: Buffer): void {
      try {
        if (framing) return body(data);
        buffered.push(data);
        bufferedBytes += data.length;
        const all = buffered.length === 1 ? buffered[0]! : Buffer.concat(buffered, bufferedBytes);
        const end = all.indexOf('\r\n\r\n');
        if (end > MAX_RESPONSE_HEAD_BYTES || (end === -1 && bufferedBytes > MAX_RESPONSE_HEAD_BYTES)) {
          throw new HttpProtocolError(`response head exceeds ${MAX_RESPONSE_HEAD_BYTES} bytes`);
        }
        if (end === -1) {
          buffered = [all];
          return;
        }
        buffered = [];
        onHead(all.subarray(end + 4), all.toString('latin1', 0, end));
      } catch (error) {
        fail(error as Error);
      }
    }
    function onEnd(): void {
      if (framing?.kind === 'close') return finishBody();
      if (response?.complete) return;
      fail(new HttpProtocolError(settled ? 'the connection closed before the end of the response body' : 'the connection closed before a response'));
    }
    function onError(error: Error): void {
      fail(error);
    }
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', () => {
      cleanup();
      if (response && !response.complete && !response.destroyed) {
        if (framing?.kind === 'close') finishBody();
        else response.destroy(new HttpProtocolError('the connection closed before the end of the response body'));
      }
    });

    // Head and body in one write: one syscall, and the daemon reads the whole request at once.
    socket.write(request.body && request.body.length > 0 ? Buffer.concat([Buffer.from(head), request.body]) : head);
    if (request.upload) {
      const upload = request.upload;
      upload.on('data', (chunk: Buffer | string) => {
        const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        if (data.length === 0) return;
        if (!socket.write(`${data.length.toString(16)}\r\n`) || !socket.write(data) || !socket.write('\r\n')) {
          upload.pause();
          socket.once('drain', () => upload.resume());
        }
      });
      upload.on('end', () => socket.write('0\r\n\r\n'));
      upload.on('error', (error: Error) => fail(error));
    }
  });
}
