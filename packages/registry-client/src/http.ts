/**
 * One HTTP exchange over Node's http/https, nothing more: no redirects, no retries, no auth (those are
 * decided per request by the layers above, which need to see every hop).
 */
import type http from 'node:http';
import type https from 'node:https';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { CError } from '@c/errors';
import { RawHttpPool, type HttpResponse } from './raw-http';

export type { HttpResponse } from './raw-http';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  url: URL;
  headers: Record<string, string>;
  body?: Uint8Array | Readable;
  signal?: AbortSignal;
  /** Socket idle timeout: no bytes for this long → ETIMEDOUT. */
  idleTimeoutMs: number;
}

let httpModule: typeof http | undefined;
let httpsModule: typeof https | undefined;

/**
 * node:http loads only for what the bare-socket client does not do (uploads, other methods), node:https (and with
 * it tls) only when a registry is spoken to over TLS: a loopback pull loads neither (~6-10 ms of a cold start).
 */
function loadHttp(): typeof http {
  httpModule ??= createRequire(import.meta.url)('node:http') as typeof http;
  return httpModule;
}

function loadHttps(): typeof https {
  httpsModule ??= createRequire(import.meta.url)('node:https') as typeof https;
  return httpsModule;
}

export class HttpAgents {
  /** Plain-HTTP GETs and HEADs (blob bodies above all) on bare sockets: see raw-http.ts. */
  readonly raw = new RawHttpPool();
  #http: http.Agent | undefined;
  #https: https.Agent | undefined;

  get http(): http.Agent {
    this.#http ??= new (loadHttp().Agent)({ keepAlive: true, maxSockets: 16 });
    return this.#http;
  }

  get https(): https.Agent {
    this.#https ??= new (loadHttps().Agent)({ keepAlive: true, maxSockets: 16 });
    return this.#https;
  }

  destroy(): void {
    this.#http?.destroy();
    this.raw.destroy();
    this.#https?.destroy();
  }
}

export function cancelledError(what: string): CError {
  return new CError('CANCELLED', `${what} was cancelled`, { hint: 'run the command again to resume' });
}

/** Sends a request; resolves with the response head, the body still to be read (or discarded). */
export function sendHttp(request: HttpRequest, agents: HttpAgents): Promise<HttpResponse> {
  const isHttps = request.url.protocol === 'https:';
  if (!isHttps && request.body === undefined && (request.method === 'GET' || request.method === 'HEAD')) return sendRaw(request, agents.raw);
  const transport = isHttps ? loadHttps() : loadHttp();
  return new Promise((resolve, reject) => {
    if (request.signal?.aborted) {
      reject(cancelledError(`${request.method} ${request.url.href}`));
      return;
    }
    const req = transport.request(request.url, {
      method: request.method,
      headers: request.headers,
      agent: isHttps ? agents.https : agents.http,
      signal: request.signal,
    });
    req.setTimeout(request.idleTimeoutMs, () => {
      req.destroy(Object.assign(new Error(`no data from ${request.url.origin} for ${request.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
    });
    req.once('response', (res) => resolve(res));
    req.once('error', (error) => {
      // A body stream (a file) must not stay open once its request is dead.
      if (request.body instanceof Readable) request.body.destroy();
      if (request.signal?.aborted) reject(cancelledError(`${request.method} ${request.url.href}`));
      else reject(error);
    });
    const body = request.body;
    if (body === undefined) req.end();
    else if (body instanceof Uint8Array) req.end(body);
    else {
      body.once('error', (error) => req.destroy(error));
      body.pipe(req);
    }
  });
}

async function sendRaw(request: HttpRequest, pool: RawHttpPool): Promise<HttpResponse> {
  const what = `${request.method} ${request.url.href}`;
  if (request.signal?.aborted) throw cancelledError(what);
  try {
    return await pool.send({ method: request.method as 'GET' | 'HEAD', url: request.url, headers: request.headers, signal: request.signal, idleTimeoutMs: request.idleTimeoutMs });
  } catch (error) {
    if (request.signal?.aborted) throw cancelledError(what);
    throw error;
  }
}

/** Reads a whole (small) body, failing with LIMIT_EXCEEDED once it grows past `limit` bytes. */
export async function readBody(res: Readable, limit: number, what: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > limit) {
      res.destroy();
      throw new CError('LIMIT_EXCEEDED', `${what} is larger than the ${limit}-byte limit`, {
        hint: 'the registry sent more than expected; if the content is legitimate, raise the limit',
        details: { limit },
      });
    }
    chunks.push(buf);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

/** Throws away a body we will not read, so the socket can be reused. */
export function discard(res: HttpResponse): void {
  res.resume();
  res.on('error', () => {});
}

/**
 * Throws away a (small) body and waits until it ended, so the keep-alive socket is back in the pool before the
 * next request: without the wait, a request sent right after a ping or a HEAD opens a second connection.
 */
export function drain(res: HttpResponse): Promise<void> {
  return new Promise((resolve) => {
    // The agent takes the socket back on the turn after the body ends.
    const done = () => setImmediate(resolve);
    res.on('error', () => {});
    if (res.readableEnded || res.destroyed) return done();
    res.once('end', done).once('close', done);
    res.resume();
  });
}

export function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
