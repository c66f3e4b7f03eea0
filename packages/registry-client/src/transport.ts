/**
 * Requests to a registry's API with everything around them: scheme choice (plain HTTP only for loopback
 * and insecure registries), the `/v2/` ping, authorization, retries with backoff, and redirects that never
 * carry credentials to another origin.
 */
import type { Readable } from 'node:stream';
import { CError } from '@c/errors';
import { Authenticator } from './auth';
import type { CredentialStore } from './credentials';
import { isRetryableNetworkError, networkError, registryError } from './errors';
import { discard, drain, header, HttpAgents, readBody, sendHttp, type HttpMethod, type HttpResponse } from './http';
import { registryApiHost } from '@c/image';
import { isRetryableStatus, parseRetryAfter, retryDelay, sleep, type RetryPolicy } from './retry';

export interface TransportOptions {
  credentials?: CredentialStore;
  insecureRegistries?: string[];
  userAgent: string;
  retry: RetryPolicy;
  idleTimeoutMs: number;
  now: () => number;
}

export interface RegistryRequest {
  registry: string;
  method: HttpMethod;
  /** Path under the registry's base URL (`/v2/…`), or an absolute URL (upload locations). */
  path: string | URL;
  /** Token scopes the request needs. */
  scopes: readonly string[];
  headers?: Record<string, string>;
  /** Called once per attempt, so a retry re-sends the body from the start. */
  body?: () => Uint8Array | Readable | Promise<Uint8Array | Readable>;
  /** Follow 3xx (GET/HEAD only). */
  followRedirects?: boolean;
  /** Retry on retryable statuses and socket errors (default: true). */
  retry?: boolean;
  signal?: AbortSignal;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
const ERROR_BODY_LIMIT = 64 * 1024;

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The response of a request plus the URL it finally came from (after redirects). */
export interface RegistryResponse {
  res: HttpResponse;
  url: URL;
}

export class RegistryTransport {
  readonly agents = new HttpAgents();
  readonly auth: Authenticator;
  private readonly pings = new Map<string, Promise<void>>();
  private readonly insecure: Set<string>;

  constructor(private readonly options: TransportOptions) {
    this.insecure = new Set((options.insecureRegistries ?? []).map((r) => r.toLowerCase()));
    this.auth = new Authenticator(options.credentials, (req) => this.exchange(req), options.now, 'c', (host) => this.plainHttpAllowed(host));
  }

  /** `https://registry-1.docker.io`, `http://localhost:5000`. */
  baseUrl(registry: string): URL {
    const host = registryApiHost(registry);
    const plain = this.plainHttpAllowed(host) || this.insecure.has(registry.toLowerCase());
    return new URL(`${plain ? 'http' : 'https'}://${host}`);
  }

  /** Loopback hosts and the configured insecure registries. */
  plainHttpAllowed(host: string): boolean {
    const lower = host.toLowerCase();
    return isLoopback(lower.replace(/:\d+$/, '')) || this.insecure.has(lower);
  }

  /** GET /v2/ once per registry to learn its auth challenge. */
  ping(registry: string, signal?: AbortSignal): Promise<void> {
    let pending = this.pings.get(registry);
    if (!pending) {
      pending = this.doPing(registry, undefined, signal).then(async (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 500) await this.fail(res, { registry, what: `pinging registry ${registry}` });
        await drain(res);
        this.auth.recordPing(registry, status, res.headers['www-authenticate']);
      });
      this.pings.set(registry, pending);
      pending.catch(() => this.pings.delete(registry));
    }
    return pending;
  }

  /** A fresh ping, optionally with an Authorization header (used to check Basic credentials). */
  async doPing(registry: string, authorization?: string, signal?: AbortSignal): Promise<HttpResponse> {
    const url = new URL('/v2/', this.baseUrl(registry));
    const headers: Record<string, string> = {};
    if (authorization) headers.authorization = authorization;
    return this.withRetries(registry, url, signal, async () => this.send('GET', url, headers, undefined, signal));
  }

  /** Sends a registry API request; returns the final response whatever its status (after retries). */
  async request(req: RegistryRequest): Promise<RegistryResponse> {
    await this.ping(req.registry, req.signal);
    let scopes = req.scopes;
    let authRetried = false;
    const url = typeof req.path === 'string' ? new URL(req.path, this.baseUrl(req.registry)) : req.path;
    for (let attempt = 0; ; attempt++) {
      let response: RegistryResponse;
      try {
        const headers: Record<string, string> = { ...req.headers };
        // Upload locations may be absolute URLs on another origin (a storage backend): the registry's
        // credentials go only to the registry's own origin (scheme, host and port).
        if (url.origin === this.baseUrl(req.registry).origin) {
          const authorization = await this.auth.authorization(req.registry, scopes);
          if (authorization) headers.authorization = authorization;
        }
        const body = req.body ? await req.body() : undefined;
        response = await this.sendFollowing(req, url, headers, body);
      } catch (error) {
        if (req.retry !== false && attempt < this.options.retry.maxRetries && isRetryableNetworkError(error)) {
          await sleep(retryDelay(this.options.retry, attempt), req.signal);
          continue;
        }
        throw networkError(error, req.registry, url);
      }
      const status = response.res.statusCode ?? 0;
      // Only the registry itself may tell us how to authenticate to it: a challenge from a CDN or an upload
      // host (after a redirect, or an absolute upload location) would otherwise pick where the credentials go.
      if (status === 401 && !authRetried && response.url.origin === this.baseUrl(req.registry).origin) {
        authRetried = true;
        const retryScopes = await this.auth.unauthorized(req.registry, scopes, response.res.headers['www-authenticate']);
        if (retryScopes) {
          discard(response.res);
          scopes = retryScopes;
          attempt--; // a new token is not a failed attempt
          continue;
        }
      }
      if (req.retry !== false && isRetryableStatus(status) && attempt < this.options.retry.maxRetries) {
        discard(response.res);
        const retryAfter = parseRetryAfter(header(response.res, 'retry-after'), this.options.now());
        await sleep(retryDelay(this.options.retry, attempt, retryAfter), req.signal);
        continue;
      }
      return response;
    }
  }

  /** Throws the CError for a response with an unexpected status (reading its error body). */
  async fail(res: HttpResponse, context: { registry: string; what: string; notFound?: string }): Promise<never> {
    let body: Uint8Array = new Uint8Array();
    try {
      if (res.statusCode !== undefined) body = await readBody(res, ERROR_BODY_LIMIT, 'error body');
    } catch {
      // An unreadable error body still leaves the status to report.
    }
    throw registryError(res.statusCode ?? 0, body, context);
  }

  close(): void {
    this.agents.destroy();
  }

  private send(method: HttpMethod, url: URL, headers: Record<string, string>, body: Uint8Array | Readable | undefined, signal: AbortSignal | undefined): Promise<HttpResponse> {
    return sendHttp(
      { method, url, headers: { 'user-agent': this.options.userAgent, ...headers }, body, signal, idleTimeoutMs: this.options.idleTimeoutMs },
      this.agents,
    );
  }

  /** Follows redirects by hand: Authorization goes only to the origin it was issued for. */
  private async sendFollowing(req: RegistryRequest, start: URL, headers: Record<string, string>, body: Uint8Array | Readable | undefined): Promise<RegistryResponse> {
    let url = start;
    let method = req.method;
    let currentHeaders = headers;
    for (let hop = 0; ; hop++) {
      const res = await this.send(method, url, currentHeaders, hop === 0 ? body : undefined, req.signal);
      const status = res.statusCode ?? 0;
      const location = header(res, 'location');
      if (!req.followRedirects || !REDIRECT_STATUSES.has(status) || !location) return { res, url };
      discard(res);
      if (hop >= MAX_REDIRECTS) {
        throw new CError('UNAVAILABLE', `too many redirects fetching ${start.href} from registry ${req.registry}`, { hint: 'the registry or its CDN is misconfigured' });
      }
      const next = new URL(location, url);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') {
        throw new CError('UNSAFE_CONTENT', `registry ${req.registry} redirected to a non-HTTP URL ${next.protocol}`, {});
      }
      if (next.origin !== start.origin) {
        const { authorization: _dropped, ...rest } = currentHeaders;
        currentHeaders = rest;
      }
      if (status === 303) method = 'GET';
      url = next;
    }
  }

  private async withRetries(registry: string, url: URL, signal: AbortSignal | undefined, attemptFn: () => Promise<HttpResponse>): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await attemptFn();
      } catch (error) {
        if (attempt < this.options.retry.maxRetries && isRetryableNetworkError(error)) {
          await sleep(retryDelay(this.options.retry, attempt), signal);
          continue;
        }
        throw networkError(error, registry, url);
      }
      const status = res.statusCode ?? 0;
      if (isRetryableStatus(status) && attempt < this.options.retry.maxRetries) {
        discard(res);
        await sleep(retryDelay(this.options.retry, attempt, parseRetryAfter(header(res, 'retry-after'), this.options.now())), signal);
        continue;
      }
      return res;
    }
  }

  /** Buffered exchange without registry auth (token endpoints). */
  private async exchange(req: { method: 'GET' | 'POST'; url: URL; headers: Record<string, string>; body?: Uint8Array }): Promise<{ status: number; body: Uint8Array }> {
    const res = await this.withRetries(req.url.host, req.url, undefined, () => this.send(req.method, req.url, req.headers, req.body, undefined));
    const body = await readBody(res, ERROR_BODY_LIMIT, `token response from ${req.url.origin}`);
    return { status: res.statusCode ?? 0, body };
  }
}
