import type { Duplex } from 'node:stream';
import { CError } from '@c/errors';
import { buildPath } from './http1-head';
import { errorCodeForStatus } from './status';
import { http1Request, type ApiResponse, type Http1Request } from './http1';

export { buildPath };

/** Where and how to reach the daemon. */
export interface TransportOptions {
  socketPath: string;
  /** Largest JSON body read into memory. */
  maxBodyBytes: number;
  /** Header timeout in milliseconds for requests that are not streams. */
  timeoutMs: number;
}

export interface RequestSpec {
  method: 'GET' | 'HEAD' | 'POST' | 'DELETE' | 'PUT';
  /** Path with any version prefix already applied. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** Serialized as JSON. */
  body?: unknown;
  /** A raw body streamed as it is (a tar for `PUT /containers/{id}/archive`); excludes `body`. */
  upload?: { stream: NodeJS.ReadableStream; contentType: string };
  signal?: AbortSignal;
  /** Streams (pull, push) may legitimately stay quiet for long: no timeout. */
  streaming?: boolean;
}

/** The daemon's error for a failed connection or request, as a CError. */
function transportError(options: TransportOptions, target: string, error: NodeJS.ErrnoException): CError {
  if (error instanceof CError) return error;
  if (error.name === 'AbortError') return new CError('CANCELLED', `${target}: request cancelled`, { cause: error });
  if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
    return new CError('UNAVAILABLE', `cannot connect to the c daemon at unix://${options.socketPath} (${error.code})`, {
      cause: error,
      hint: 'start c-daemon, or point -H/--host at its socket',
    });
  }
  if (error.code === 'EACCES') {
    return new CError('PERMISSION_DENIED', `permission denied on the c daemon socket ${options.socketPath}`, {
      cause: error,
      hint: 'run as root or as a member of the socket group',
    });
  }
  return new CError('UNAVAILABLE', `${target} failed: ${error.message}`, { cause: error });
}

function toHttp1(options: TransportOptions, spec: RequestSpec, upgrade: boolean): Http1Request {
  const target = `${spec.method} ${spec.path}`;
  const headers: Record<string, string> = { ...spec.headers };
  if (spec.upload) headers['Content-Type'] = spec.upload.contentType;
  const body = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body));
  if (body) headers['Content-Type'] = 'application/json';
  return {
    socketPath: options.socketPath,
    method: spec.method,
    path: buildPath(spec.path, spec.query),
    headers,
    ...(body ? { body } : {}),
    ...(spec.upload ? { upload: spec.upload.stream } : {}),
    upgrade,
    ...(spec.signal ? { signal: spec.signal } : {}),
    headTimeoutMs: spec.streaming ? 0 : options.timeoutMs,
    onHeadTimeout: () =>
      new CError('UNAVAILABLE', `${target}: no response from the daemon at ${options.socketPath} within ${options.timeoutMs} ms`, {
        hint: 'check that c-daemon is running and not stuck',
      }),
  };
}

/** Sends one request over the unix socket; resolves with the response once headers arrive, whatever the status. */
export async function send(options: TransportOptions, spec: RequestSpec): Promise<ApiResponse> {
  const target = `${spec.method} ${spec.path}`;
  let result;
  try {
    result = await http1Request(toHttp1(options, spec, false));
  } catch (error) {
    throw transportError(options, target, error as NodeJS.ErrnoException);
  }
  if (result.kind !== 'response') throw new CError('INTERNAL', `${target}: the daemon switched protocols unasked`);
  return result.response;
}

/**
 * Reads a whole body, bounded. With events, not `for await`: the async iterator's machinery costs a few ms to set
 * up the first time, on every CLI start-up.
 */
export function readBody(res: ApiResponse, maxBytes: number, what: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        res.off('data', onData);
        res.destroy();
        reject(
          new CError('LIMIT_EXCEEDED', `${what}: response body exceeds ${maxBytes} bytes`, {
            hint: 'the daemon sent more than a client should buffer',
          }),
        );
        return;
      }
      chunks.push(chunk);
    };
    res.on('data', onData);
    res.once('end', () => resolve(Buffer.concat(chunks, total)));
    res.once('error', reject);
  });
}

/** Turns a non-2xx response into a CError carrying the daemon's `message` and a code from the status. */
export async function errorFromResponse(res: ApiResponse, what: string): Promise<CError> {
  const status = res.statusCode ?? 0;
  let message = `${what}: HTTP ${status}`;
  try {
    const body = await readBody(res, 64 * 1024, what);
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { message?: unknown }).message === 'string') {
      message = (parsed as { message: string }).message;
    } else if (body.length > 0) {
      message = `${what}: HTTP ${status}: ${body.toString('utf8').slice(0, 200)}`;
    }
  } catch {
    // Keep the status-only message: the body was not the JSON error Docker sends.
  }
  return new CError(errorCodeForStatus(status), message, { details: { status, request: what } });
}

/** A hijacked connection: after `101 UPGRADED` the socket carries the raw stream both ways. */
export interface HijackedStream {
  socket: Duplex;
  /** `application/vnd.docker.raw-stream` (TTY) or `application/vnd.docker.multiplexed-stream` (stdio frames). */
  contentType: string;
}

/**
 * Sends a request with `Connection: Upgrade` / `Upgrade: tcp`, as the docker CLI does for attach and exec start.
 * Resolves with the socket on 101; rejects with the daemon's error for any other status.
 */
export async function sendUpgrade(options: TransportOptions, spec: RequestSpec): Promise<HijackedStream> {
  const target = `${spec.method} ${spec.path}`;
  let result;
  try {
    result = await http1Request(toHttp1(options, spec, true));
  } catch (error) {
    throw transportError(options, target, error as NodeJS.ErrnoException);
  }
  if (result.kind === 'response') throw await errorFromResponse(result.response, target);
  const type = result.headers['content-type'];
  return { socket: result.socket, contentType: (Array.isArray(type) ? type[0] : type) ?? 'application/vnd.docker.raw-stream' };
}
