/**
 * HTTP/1.1 over a UnixPipe, as much as c's run endpoints need: one request per connection, a response head, then
 * either a body (Content-Length, or up to the close) or, after `101`, the hijacked byte stream. The daemon is not
 * trusted: the head and bodies are bounded.
 */
import { API_VERSION, HttpProtocolError, headerValue, MAX_RESPONSE_HEAD_BYTES, buildPath, parseResponseHead, serializeRequestHead, type ResponseHeaders } from '@c/api';
import { CError } from '@c/errors';
import type { UnixPipe } from './unix-pipe';

const MAX_BODY_BYTES = 1024 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');

export interface ResponseHead {
  status: number;
  /** Lower-case names. */
  headers: ResponseHeaders;
}

/**
 * The request's bytes (@c/api's head serializer and query encoding); `path` is an Engine API path without the
 * version (`/c/run`). `headers` follow Host and the body's Content-Type and Content-Length.
 */
export function requestBytes(method: string, path: string, query: Record<string, string | undefined>, headers: Record<string, string>, body?: Buffer): Buffer {
  const head = serializeRequestHead(method, buildPath(`/v${API_VERSION}${path}`, query), {
    Host: 'docker',
    ...(body ? { 'Content-Type': 'application/json' } : {}),
    'Content-Length': String(body?.length ?? 0),
    ...headers,
  });
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

function malformed(what: string): CError {
  return new CError('UNAVAILABLE', `the daemon sent a malformed response: ${what}`, { hint: 'check that -H/$C_HOST names a c or Docker daemon' });
}

function parseHead(text: string): ResponseHead {
  try {
    const { statusCode, headers } = parseResponseHead(text);
    return { status: statusCode, headers };
  } catch (error) {
    if (error instanceof HttpProtocolError) throw malformed(error.message);
    throw error;
  }
}

/**
 * Splits what arrives into the head (`onHead`, once) and what follows (`onBytes`: the body, or after 101 the
 * hijacked stream). Throws a CError for a head that is malformed or larger than 64 KiB.
 */
export class ResponseReader {
  private head: ResponseHead | undefined;
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly onHead: (head: ResponseHead) => void,
    private readonly onBytes: (chunk: Buffer) => void,
  ) {}

  get headReceived(): boolean {
    return this.head !== undefined;
  }

  push(chunk: Buffer): void {
    if (this.head) {
      this.onBytes(chunk);
      return;
    }
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const end = this.pending.indexOf(HEAD_END);
    if (end > MAX_RESPONSE_HEAD_BYTES || (end < 0 && this.pending.length > MAX_RESPONSE_HEAD_BYTES)) {
      throw malformed(`a response head of more than ${MAX_RESPONSE_HEAD_BYTES} bytes`);
    }
    if (end < 0) return;
    this.head = parseHead(this.pending.subarray(0, end).toString('latin1'));
    const rest = this.pending.subarray(end + HEAD_END.length);
    this.pending = Buffer.alloc(0);
    this.onHead(this.head);
    if (rest.length > 0) this.onBytes(rest);
  }
}

/**
 * Sends `request` and reads the whole response (its body ends at Content-Length or at the close; chunked bodies,
 * which c-daemon never sends on these endpoints, are refused). Closes the pipe.
 */
export function exchange(pipe: UnixPipe, request: Buffer): Promise<{ head: ResponseHead; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let length: number | undefined;
    let head: ResponseHead | undefined;
    const finish = (error?: Error): void => {
      pipe.close();
      if (error) reject(error);
      else if (!head) reject(malformed('the connection closed before a response'));
      else if (length !== undefined && size < length) reject(malformed(`the body ended after ${size} of ${length} bytes`));
      else resolve({ head, body: Buffer.concat(chunks, size).subarray(0, length ?? size) });
    };
    const reader = new ResponseReader(
      (received) => {
        head = received;
        if (headerValue(received.headers['transfer-encoding'])?.toLowerCase().includes('chunked')) throw malformed('a chunked body');
        const declared = headerValue(received.headers['content-length']);
        if (declared !== undefined) length = Number(declared);
        if (length !== undefined && !(Number.isSafeInteger(length) && length >= 0)) throw malformed(`Content-Length ${declared}`);
      },
      (chunk) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size > MAX_BODY_BYTES) throw malformed(`a body of more than ${MAX_BODY_BYTES} bytes`);
      },
    );
    pipe.read(
      (chunk) => {
        try {
          reader.push(chunk);
          if (length !== undefined && size >= length) finish();
        } catch (error) {
          finish(error as Error);
        }
      },
      (error) => finish(error),
    );
    pipe.write(request).catch(finish);
  });
}
