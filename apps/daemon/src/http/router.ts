import type { IncomingMessage, ServerResponse } from 'node:http';
import { CError } from '@c/errors';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** What a handler gets: the raw request/response plus the decoded path parameters and query. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The API version the client asked for (path prefix), or the advertised one for unversioned paths. */
  apiVersion: string;
}

export type Handler = (context: RequestContext) => Promise<void> | void;

/** A bidirectional byte stream to the client: stdin in, stdout/stderr (raw or multiplexed) out. */
export interface RawStream {
  /** Bytes from the client; ends when the client half-closes (or, without an upgrade, ends the request body). */
  readonly input: NodeJS.ReadableStream;
  write(chunk: Buffer | string): boolean;
  /** Ends the output side; the client sees EOF. */
  end(): void;
  /** True when the connection was hijacked with `Upgrade: tcp` (101), false for a plain 200 stream. */
  readonly upgraded: boolean;
}

/** What a stream handler (attach, exec start) gets: no response object, but a way to open the raw stream. */
export interface StreamContext {
  req: IncomingMessage;
  params: Record<string, string>;
  query: URLSearchParams;
  apiVersion: string;
  /**
   * Reads the JSON document that precedes the raw stream (exec start's `{"Detach":…,"Tty":…}`): exactly
   * `Content-Length` bytes, whether or not the connection is being upgraded; `undefined` without a body. Call it
   * before `open`; what follows stays in `input`.
   */
  readJsonPrefix(): Promise<unknown>;
  /**
   * Sends the success status (101 UPGRADED when the client asked for `Upgrade: tcp`, else 200) with the content
   * type, and hands over the connection. Fail (throw) before calling it to answer with a JSON error instead.
   */
  open(contentType: RawStreamContentType): RawStream;
}

export type RawStreamContentType = 'application/vnd.docker.raw-stream' | 'application/vnd.docker.multiplexed-stream';

export type StreamHandler = (context: StreamContext) => Promise<void> | void;

interface RouteBase {
  method: HttpMethod;
  /** `/images/{name*}/json`: `{x}` matches one segment, `{x*}` one or more (image names contain `/`). */
  pattern: string;
}

/** An ordinary endpoint, or one that takes over the connection (Docker's hijacked attach/exec). */
export type Route = (RouteBase & { handler: Handler; stream?: never }) | (RouteBase & { stream: StreamHandler; handler?: never });

type CompiledRoute = Route & {
  regex: RegExp;
  names: string[];
};

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  let source = '';
  let rest = route.pattern;
  const token = /\{(\w+)(\*?)\}/;
  for (let match = token.exec(rest); match; match = token.exec(rest)) {
    source += escapeRegex(rest.slice(0, match.index));
    names.push(match[1] ?? '');
    source += match[2] === '*' ? '(.+)' : '([^/]+)';
    rest = rest.slice(match.index + match[0].length);
  }
  source += escapeRegex(rest);
  return { ...route, regex: new RegExp(`^${source}/?$`), names };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function decodeParam(raw: string, name: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new CError('INVALID_ARGUMENT', `malformed percent-encoding in path parameter ${name}: ${raw}`, {
      hint: 'escape the value with encodeURIComponent',
    });
  }
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/** Method + path → handler. Routes are tried in the order they were added; HEAD falls back to GET. */
export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(...routes: Route[]): this {
    for (const route of routes) this.routes.push(compile(route));
    return this;
  }

  /** `path` is the raw (still percent-encoded) path without query and version prefix. */
  match(method: string, path: string): RouteMatch | undefined {
    return this.find(method, path) ?? (method === 'HEAD' ? this.find('GET', path) : undefined);
  }

  private find(method: string, path: string): RouteMatch | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const match = route.regex.exec(path);
      if (!match) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, index) => {
        params[name] = decodeParam(match[index + 1] ?? '', name);
      });
      return { route, params };
    }
    return undefined;
  }
}
