import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { API_VERSION, MIN_API_VERSION, checkApiVersion, splitVersionedPath } from '@c/api';
import { CError } from '@c/errors';
import { errorResponse } from '../http-status';
import { sendJson } from './respond';
import type { RawStream, RawStreamContentType, RouteMatch, Router } from './router';

export interface ApiHandlerOptions {
  router: Router;
  /** c's own version, for the `Server` header. */
  serverVersion: string;
  apiVersion?: string;
  minApiVersion?: string;
  /** One line per request and per failure; the daemon writes them to stderr. */
  log?: (line: string) => void;
}

/** The two entry points of an http.Server: ordinary requests, and requests asking for `Upgrade: tcp`. */
export interface ApiHandler {
  request: RequestListener;
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

interface ParsedRequest {
  url: string;
  rawPath: string;
  query: URLSearchParams;
}

function parseUrl(req: IncomingMessage): ParsedRequest {
  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  return {
    url,
    rawPath: queryStart === -1 ? url : url.slice(0, queryStart),
    query: new URLSearchParams(queryStart === -1 ? '' : url.slice(queryStart + 1)),
  };
}

/**
 * @internal The client's bytes through a PassThrough: a handler that iterates its input with `for await` destroys what it
 * iterates when the input ends, and that must not be the socket, whose output side is still needed (stdin
 * half-close, then the remaining output).
 */
export function detachedInput(source: NodeJS.ReadableStream): PassThrough {
  const input = new PassThrough();
  source.pipe(input);
  source.on('error', (error: Error) => input.destroy(error));
  // A client that goes away (EPIPE, ECONNRESET) fails the input for a handler that reads it (its iterator sees the
  // error); with nobody reading (an attach without stdin) the 'error' event must not be unhandled: that would take
  // the daemon down.
  input.on('error', () => undefined);
  return input;
}

/** Largest JSON document read ahead of a raw stream. */
const MAX_JSON_PREFIX_BYTES = 1024 * 1024;

/** Reads exactly `length` bytes from a paused stream, leaving the rest in it. */
async function readExactly(stream: Readable, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  while (got < length) {
    const chunk = stream.read() as Buffer | null;
    if (chunk === null) {
      if (stream.readableEnded || stream.destroyed) break;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stream.off('readable', done);
          stream.off('end', done);
          stream.off('close', done);
          resolve();
        };
        stream.on('readable', done);
        stream.on('end', done);
        stream.on('close', done);
      });
      continue;
    }
    const wanted = length - got;
    if (chunk.length > wanted) {
      stream.unshift(chunk.subarray(wanted));
      chunks.push(chunk.subarray(0, wanted));
      got = length;
    } else {
      chunks.push(chunk);
      got += chunk.length;
    }
  }
  return Buffer.concat(chunks, got);
}

/** `readJsonPrefix` of a StreamContext over an input that already receives the client's bytes. */
function jsonPrefixReader(req: IncomingMessage, input: PassThrough): () => Promise<unknown> {
  return async () => {
    const length = Number(req.headers['content-length'] ?? 0);
    if (!Number.isSafeInteger(length) || length <= 0) return undefined;
    if (length > MAX_JSON_PREFIX_BYTES) {
      throw new CError('INVALID_ARGUMENT', `request body of ${req.method} ${req.url} exceeds ${MAX_JSON_PREFIX_BYTES} bytes`, { hint: 'send a smaller JSON document' });
    }
    const bytes = await readExactly(input, length);
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch (error) {
      throw new CError('INVALID_ARGUMENT', `request body of ${req.method} ${req.url} is not valid JSON`, { cause: error, hint: 'send a JSON document' });
    }
  };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  500: 'Internal Server Error',
  501: 'Not Implemented',
};

/**
 * The request pipeline every endpoint shares: Docker's headers on every response, the `/vX.Y` prefix (checked
 * against the served range), routing, and one error path that turns anything thrown into `{"message": …}`.
 * Stream endpoints (attach, exec start) also accept `Upgrade: tcp` and then own the raw connection.
 */
export function createApiHandler(options: ApiHandlerOptions): ApiHandler {
  const apiVersion = options.apiVersion ?? API_VERSION;
  const minApiVersion = options.minApiVersion ?? MIN_API_VERSION;
  const log = options.log ?? (() => undefined);
  const commonHeaders: Record<string, string> = {
    'Api-Version': apiVersion,
    Ostype: 'linux',
    Server: `c/${options.serverVersion} (linux)`,
    'Docker-Experimental': 'false',
  };

  /** Version check + route lookup; undefined means 404. */
  const resolve = (req: IncomingMessage, rawPath: string): { match: RouteMatch | undefined; version: string } => {
    const { version, path } = splitVersionedPath(rawPath);
    if (version !== undefined) checkApiVersion(version, { min: minApiVersion, max: apiVersion });
    return { match: options.router.match(req.method ?? 'GET', path), version: version ?? apiVersion };
  };

  const logFailure = (req: IncomingMessage, url: string, status: number, error: unknown): void => {
    if (status >= 500) log(`${req.method} ${url} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  };

  const request: RequestListener = (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    for (const [name, value] of Object.entries(commonHeaders)) res.setHeader(name, value);
    res.on('finish', () => {
      log(`${req.method} ${req.url} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`);
    });
    const { url, rawPath, query } = parseUrl(req);

    const run = async (): Promise<void> => {
      const { match, version } = resolve(req, rawPath);
      if (!match) {
        sendJson(res, 404, { message: 'page not found' });
        return;
      }
      const { route, params } = match;
      if (route.handler) {
        await route.handler({ req, res, params, query, apiVersion: version });
        return;
      }
      // A stream endpoint without an upgrade: 200 and the raw stream in the response body, stdin from the
      // request body, which may stay open while the output streams (dockerode without hijack).
      const input = detachedInput(req);
      await route.stream({
        req,
        params,
        query,
        apiVersion: version,
        readJsonPrefix: jsonPrefixReader(req, input),
        open: (contentType) => {
          res.writeHead(200, { 'Content-Type': contentType });
          res.flushHeaders();
          return {
            input,
            upgraded: false,
            write: (chunk) => (res.writableEnded || res.destroyed ? false : res.write(chunk)),
            end: () => res.end(),
          };
        },
      });
    };

    run().catch((error: unknown) => {
      const { status, body } = errorResponse(error);
      logFailure(req, url, status, error);
      if (!res.headersSent) {
        sendJson(res, status, body);
      } else if (!res.writableEnded) {
        // A stream already started: the status is gone, so cut the connection rather than end it as a success.
        res.destroy(error instanceof Error ? error : undefined);
      }
    });
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const { url, rawPath, query } = parseUrl(req);
    let opened = false;
    const writeHead = (status: number, text: string, headers: Record<string, string>): void => {
      const lines = [`HTTP/1.1 ${status} ${text}`, ...Object.entries({ ...commonHeaders, ...headers }).map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      log(`${req.method} ${url} ${status} (upgrade)`);
    };
    const fail = (status: number, message: string): void => {
      const body = JSON.stringify({ message });
      writeHead(status, STATUS_TEXT[status] ?? 'Error', {
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(body)),
        Connection: 'close',
      });
      socket.end(body);
    };
    socket.on('error', () => socket.destroy());

    const run = async (): Promise<void> => {
      const { match, version } = resolve(req, rawPath);
      if (!match) return fail(404, 'page not found');
      const { route, params } = match;
      if (!route.stream) {
        throw new CError('INVALID_ARGUMENT', `${req.method} ${rawPath} does not support Upgrade: tcp`, {
          hint: 'send the request without the Upgrade header',
        });
      }
      if (head.length > 0) socket.unshift(head);
      const input = detachedInput(socket);
      await route.stream({
        req,
        params,
        query,
        apiVersion: version,
        readJsonPrefix: jsonPrefixReader(req, input),
        open: (contentType: RawStreamContentType): RawStream => {
          opened = true;
          writeHead(101, 'UPGRADED', { 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp' });
          return {
            input,
            upgraded: true,
            write: (chunk) => (socket.writableEnded || socket.destroyed ? false : socket.write(chunk)),
            end: () => socket.end(),
          };
        },
      });
    };

    run().catch((error: unknown) => {
      const { status, body } = errorResponse(error);
      logFailure(req, url, status, error);
      if (!opened && !socket.destroyed) fail(status, body.message);
      else socket.destroy();
    });
  };

  return { request, upgrade };
}
