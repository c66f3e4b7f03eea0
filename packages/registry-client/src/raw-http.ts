/**
 * GET and HEAD over plain HTTP/1.1 on a bare TCP socket. Node's http client hands a body over in the 64 KiB
 * pieces its socket reads, each through the parser and a stream push: ~1 600 turns of the event loop per
 * 100 MB. Here the socket reads straight into large reused-once buffers (`onread`), so a loopback or LAN blob
 * arrives in a few dozen chunks of up to several MiB, with no copy and no parser per chunk. Only requests
 * without a body take this path (uploads stay on node:http), and only over plain HTTP (TLS stays on node:https).
 * The response is a Readable with the IncomingMessage fields the transport reads; connections are kept alive
 * per origin.
 */
import net from 'node:net';
import { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';

/** What the registry client reads from a response, whichever client produced it. */
export interface HttpResponse extends Readable {
  statusCode?: number;
  headers: IncomingHttpHeaders;
  /** True once the whole body arrived (as framed by Content-Length or chunked encoding). */
  complete: boolean;
}

export interface RawRequest {
  method: 'GET' | 'HEAD';
  url: URL;
  headers: Record<string, string>;
  signal?: AbortSignal;
  idleTimeoutMs: number;
}

/** Region handed to each socket read; a new arena once less than READ_MIN is left. */
const ARENA_BYTES = 4 * 1024 * 1024;
const READ_MIN = 256 * 1024;
const MAX_HEAD_BYTES = 64 * 1024;
const NO_ARENA = Buffer.alloc(0);
/**
 * Node asks for the buffer of a connection's next read right after the previous read: an idle connection's
 * buffer receives the start of its next response. So it gets a small one of its own (the body may keep it).
 */
const IDLE_READ_BYTES = 16 * 1024;
/** Idle connections kept per origin. */
const MAX_IDLE = 16;

function protocolError(message: string): Error {
  // Retryable like a reset connection: a garbled exchange says nothing about the next attempt.
  return Object.assign(new Error(`malformed HTTP response: ${message}`), { code: 'ECONNRESET' });
}

const CONNECTION_CLOSED = 'the connection closed before the response ended';

function connectionClosed(): Error {
  return Object.assign(new Error(CONNECTION_CLOSED), { code: 'ECONNRESET' });
}

/** Parsed status line and header fields. */
interface Head {
  status: number;
  message: string;
  headers: IncomingHttpHeaders;
  keepAlive: boolean;
}

function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  const match = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!match) throw protocolError(`bad status line ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || /^[ \t]/.test(line)) throw protocolError(`bad header line ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const connection = (headers.connection ?? '').toLowerCase();
  const keepAlive = match[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  return { status: Number(match[2]), message: match[3] ?? '', headers, keepAlive };
}

/** How the body is delimited (RFC 9112 §6.3). */
type Framing = { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

function framingOf(method: string, head: Head): Framing {
  if (method === 'HEAD' || head.status === 204 || head.status === 304) return { kind: 'length', left: 0 };
  const encoding = head.headers['transfer-encoding'];
  if (encoding !== undefined) {
    if (!/(^|,)\s*chunked\s*$/i.test(encoding)) throw protocolError(`unsupported transfer-encoding ${encoding}`);
    return { kind: 'chunked' };
  }
  const length = head.headers['content-length'];
  if (length !== undefined) {
    if (!/^\d+$/.test(length) || !Number.isSafeInteger(Number(length))) throw protocolError(`bad content-length ${length}`);
    return { kind: 'length', left: Number(length) };
  }
  return { kind: 'close' };
}

/** Decodes chunked transfer coding incrementally; body pieces are views of the input (no copies). */
class ChunkedDecoder {
  /** Bytes left in the current chunk's data; -1 while a size line is expected. */
  #left = -1;
  /** A size line (or the CRLF after data, or trailers) split across reads. */
  #line = '';
  #afterData = false;
  #trailers = false;
  done = false;

  /** Feeds bytes; returns the body pieces in them and how many bytes were consumed (the rest follows the body). */
  feed(input: Buffer): { pieces: Buffer[]; used: number } {
    const pieces: Buffer[] = [];
    let at = 0;
    while (at < input.length && !this.done) {
      if (this.#left > 0) {
        const take = Math.min(this.#left, input.length - at);
        pieces.push(input.subarray(at, at + take));
        this.#left -= take;
        at += take;
        if (this.#left === 0) this.#afterData = true;
        continue;
      }
      const end = input.indexOf(0x0a, at);
      if (end < 0) {
        this.#line += input.toString('latin1', at);
        if (this.#line.length > 4096) throw protocolError('chunk header too long');
        return { pieces, used: input.length };
      }
      const line = (this.#line + input.toString('latin1', at, end)).replace(/\r$/, '');
      this.#line = '';
      at = end + 1;
      if (this.#afterData) {
        if (line !== '') throw protocolError('missing CRLF after chunk data');
        this.#afterData = false;
        this.#left = -1;
      } else if (this.#trailers) {
        if (line === '') this.done = true;
      } else {
        const size = /^([0-9a-fA-F]{1,12})(?:\s*;.*)?$/.exec(line);
        if (!size) throw protocolError(`bad chunk size ${JSON.stringify(line.slice(0, 40))}`);
        this.#left = parseInt(size[1]!, 16);
        if (this.#left === 0) this.#trailers = true;
      }
    }
    return { pieces, used: at };
  }
}

/** The response body as a stream; the connection pushes into it. */
class RawResponse extends Readable implements HttpResponse {
  statusCode: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  complete = false;

  constructor(
    head: Head,
    private readonly connection: RawConnection,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    this.statusCode = head.status;
    this.statusMessage = head.message;
    this.headers = head.headers;
  }

  override _read(): void {
    this.connection.resumeReading();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A body abandoned half-way leaves the connection mid-response: it cannot carry another request.
    if (!this.complete) this.connection.destroy();
    callback(error);
  }
}

/** One exchange in flight on a connection. */
interface Exchange {
  method: string;
  resolve: (res: HttpResponse) => void;
  reject: (error: Error) => void;
  head: Buffer[];
  headBytes: number;
  response?: RawResponse;
  framing?: Framing;
  chunked?: ChunkedDecoder;
  keepAlive?: boolean;
  /** Whether any byte of the response arrived (a reused connection that dies before may be retried). */
  answered: boolean;
}

/** A kept-alive TCP connection reading into arenas. */
class RawConnection {
  readonly origin: string;
  readonly socket: net.Socket;
  #exchange: Exchange | undefined;
  /** Allocated on the first read and dropped while the connection idles in the pool (4 MiB each). */
  #arena = NO_ARENA;
  #used = 0;
  #closed = false;
  /** Reading stopped because the body's reader is behind (socket.isPaused() does not report it). */
  #paused = false;

  constructor(
    url: URL,
    private readonly pool: RawHttpPool,
  ) {
    this.origin = url.origin;
    this.socket = net.connect({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 80),
      onread: { buffer: () => this.#nextBuffer(), callback: (n, buf) => this.#onRead(buf.subarray(0, n) as Buffer) },
    });
    this.socket.setNoDelay(true);
    this.socket.on('error', (error) => this.#fail(error));
    this.socket.on('end', () => this.#fail(connectionClosed()));
    this.socket.on('close', () => this.#fail(connectionClosed()));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends a request; its response (head read, body streaming) resolves the promise. */
  send(request: RawRequest): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      this.#exchange = { method: request.method, resolve, reject, head: [], headBytes: 0, answered: false };
      const target = `${request.url.pathname}${request.url.search}`;
      let text = `${request.method} ${target} HTTP/1.1\r\nhost: ${request.url.host}\r\n`;
      for (const [name, value] of Object.entries(request.headers)) {
        if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) {
          this.#exchange = undefined;
          reject(new TypeError(`invalid character in the ${name} header`));
          return;
        }
        text += `${name}: ${value}\r\n`;
      }
      this.socket.setTimeout(request.idleTimeoutMs, () => {
        this.#fail(Object.assign(new Error(`no data from ${request.url.origin} for ${request.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
      this.socket.ref();
      this.socket.write(`${text}\r\n`, 'latin1');
    });
  }

  get arenaBytes(): number {
    return this.#arena.length;
  }

  /** Idle in the pool: the arena goes (bodies handed out keep their own views of it). */
  dropArena(): void {
    this.#arena = NO_ARENA;
    this.#used = 0;
  }

  resumeReading(): void {
    if (this.#closed || !this.#paused) return;
    this.#paused = false;
    this.socket.resume();
  }

  destroy(): void {
    this.#closed = true;
    this.socket.destroy();
  }

  /** The next read goes to a fresh region: a region handed out is never written again (the body keeps it). */
  #nextBuffer(): Buffer {
    if (!this.#exchange) return Buffer.allocUnsafeSlow(IDLE_READ_BYTES);
    if (this.#arena.length - this.#used < READ_MIN) {
      this.#arena = Buffer.allocUnsafe(ARENA_BYTES);
      this.#used = 0;
    }
    return this.#arena.subarray(this.#used);
  }

  /** Returns false to pause the socket while the body's reader is behind. */
  #onRead(data: Buffer): boolean {
    if (data.buffer === this.#arena.buffer) this.#used += data.length;
    const exchange = this.#exchange;
    if (!exchange) {
      // Bytes on an idle connection: nothing may follow a finished response.
      this.destroy();
      return false;
    }
    exchange.answered = true;
    try {
      const flowing = this.#consume(exchange, data);
      // Returning false stops reading until the body's _read asks again.
      if (!flowing) this.#paused = true;
      return flowing;
    } catch (error) {
      this.#fail(error as Error);
      return false;
    }
  }

  #consume(exchange: Exchange, data: Buffer): boolean {
    let body = data;
    if (!exchange.response) {
      exchange.head.push(data);
      exchange.headBytes += data.length;
      const all = exchange.head.length === 1 ? data : Buffer.concat(exchange.head, exchange.headBytes);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        if (exchange.headBytes > MAX_HEAD_BYTES) throw protocolError('response head too large');
        exchange.head = [all];
        return true;
      }
      const head = parseHead(all.toString('latin1', 0, end));
      body = all.subarray(end + 4);
      exchange.head = [];
      exchange.headBytes = 0;
      if (head.status >= 100 && head.status < 200) return body.length > 0 ? this.#consume(exchange, body) : true; // an interim response
      exchange.framing = framingOf(exchange.method, head);
      exchange.keepAlive = head.keepAlive && exchange.framing.kind !== 'close';
      if (exchange.framing.kind === 'chunked') exchange.chunked = new ChunkedDecoder();
      exchange.response = new RawResponse(head, this);
      exchange.resolve(exchange.response);
      if (exchange.framing.kind === 'length' && exchange.framing.left === 0) return this.#finish(exchange, body.length);
    }
    return this.#body(exchange, body);
  }

  #body(exchange: Exchange, data: Buffer): boolean {
    const response = exchange.response!;
    const framing = exchange.framing!;
    let flowing = true;
    if (framing.kind === 'close') {
      if (data.length > 0) flowing = response.push(data);
      return flowing;
    }
    if (framing.kind === 'length') {
      const take = Math.min(framing.left, data.length);
      if (take > 0) flowing = response.push(take === data.length ? data : data.subarray(0, take));
      framing.left -= take;
      return framing.left === 0 ? this.#finish(exchange, data.length - take) : flowing;
    }
    const { pieces, used } = exchange.chunked!.feed(data);
    for (const piece of pieces) flowing = response.push(piece);
    return exchange.chunked!.done ? this.#finish(exchange, data.length - used) : flowing;
  }

  /** The body is complete: end the response and give the connection back (or close it). */
  #finish(exchange: Exchange, extra: number): boolean {
    const response = exchange.response!;
    this.#exchange = undefined;
    this.socket.setTimeout(0);
    response.complete = true;
    response.push(null);
    if (extra > 0 || !exchange.keepAlive) this.destroy();
    else this.pool.release(this);
    return true;
  }

  #fail(error: Error): void {
    const exchange = this.#exchange;
    this.#exchange = undefined;
    this.destroy();
    this.pool.forget(this);
    if (!exchange) return;
    if (!exchange.response) {
      exchange.reject(Object.assign(error, { beforeAnswer: !exchange.answered }));
      return;
    }
    if (exchange.framing?.kind === 'close' && error.message === CONNECTION_CLOSED) {
      // A body delimited by the end of the connection: the close is its end.
      exchange.response.complete = true;
      exchange.response.push(null);
      return;
    }
    exchange.response.destroy(error);
  }
}

/** Kept-alive raw connections per origin. */
export class RawHttpPool {
  readonly #idle = new Map<string, RawConnection[]>();

  /** GET or HEAD over plain HTTP. A kept-alive connection that turns out dead before answering is replaced once. */
  async send(request: RawRequest): Promise<HttpResponse> {
    const reused = this.#take(request.url.origin);
    if (reused) {
      try {
        return await this.#sendOn(reused, request);
      } catch (error) {
        if (!(error as { beforeAnswer?: boolean }).beforeAnswer || request.signal?.aborted) throw error;
      }
    }
    return this.#sendOn(new RawConnection(request.url, this), request);
  }

  release(connection: RawConnection): void {
    if (connection.closed) return;
    const idle = this.#idle.get(connection.origin) ?? [];
    if (idle.length >= MAX_IDLE) {
      connection.destroy();
      return;
    }
    connection.socket.unref();
    connection.dropArena();
    idle.push(connection);
    this.#idle.set(connection.origin, idle);
  }

  forget(connection: RawConnection): void {
    const idle = this.#idle.get(connection.origin);
    const at = idle?.indexOf(connection) ?? -1;
    if (idle && at >= 0) idle.splice(at, 1);
  }

  /** Read-buffer bytes the idle connections still hold (none: an idle connection drops its arena). */
  idleBufferBytes(): number {
    let bytes = 0;
    for (const idle of this.#idle.values()) for (const connection of idle) bytes += connection.arenaBytes;
    return bytes;
  }

  destroy(): void {
    for (const idle of this.#idle.values()) for (const connection of idle) connection.destroy();
    this.#idle.clear();
  }

  #take(origin: string): RawConnection | undefined {
    const idle = this.#idle.get(origin);
    let connection = idle?.pop();
    while (connection?.closed) connection = idle?.pop();
    return connection;
  }

  async #sendOn(connection: RawConnection, request: RawRequest): Promise<HttpResponse> {
    const { signal } = request;
    const onAbort = () => connection.destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await connection.send(request);
      // Aborting later destroys the body, and with it the connection.
      if (signal) {
        signal.removeEventListener('abort', onAbort);
        const abortBody = () => response.destroy(Object.assign(new Error('the request was aborted'), { code: 'ABORT_ERR' }));
        signal.addEventListener('abort', abortBody, { once: true });
        response.once('close', () => signal.removeEventListener('abort', abortBody));
      }
      return response;
    } catch (error) {
      signal?.removeEventListener('abort', onAbort);
      throw error;
    }
  }
}
