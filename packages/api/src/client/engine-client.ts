import type { ApiResponse } from './http1';
import { CError, type ErrorCode } from '@c/errors';
import { encodeRegistryAuth } from '../auth';
import { encodeFilters } from '../filters';
import { isProgressMessage, parseNdjson, progressErrorMessage } from '../ndjson';
import type { ImageDeleteResponseItem, ImageInspect, ImageSummary } from '../types/images';
import type { ProgressMessage } from '../types/progress';
import type { AuthConfig, AuthResponse, InfoResponse, PingResult, VersionResponse } from '../types/system';
import { API_VERSION, MIN_API_VERSION, compareApiVersions } from '../version';
import type { EventMessage, SystemDfResponse } from '../types/containers';
import { networksApi, type NetworksApi } from './networks-api';
import { containersApi, eventStream, execApi, systemDf, type ClientCalls, type ContainersApi, type EventsOptions, type ExecApi } from './containers-api';
import { errorCodeForStatus } from './status';
import {
  errorFromResponse,
  readBody,
  send,
  sendUpgrade,
  type HijackedStream,
  type RequestSpec,
  type TransportOptions,
} from './transport';

export const DEFAULT_SOCKET_PATH = '/run/c/c.sock';

export interface EngineClientOptions {
  /** The daemon's unix socket; default `/run/c/c.sock`. */
  socketPath?: string;
  /** The API version put in every path prefix; default the one this package advertises. */
  apiVersion?: string;
  /** Timeout in milliseconds for requests that are not streams; default 60 s. */
  timeoutMs?: number;
  /** Largest JSON response read into memory; default 64 MiB. */
  maxBodyBytes?: number;
}

export interface PullOptions {
  /** A tag or `sha256:` digest; when absent, the reference is pulled as written. */
  tag?: string;
  /** `os/arch[/variant]`. */
  platform?: string;
  auth?: AuthConfig;
  signal?: AbortSignal;
}

export interface PushOptions {
  tag?: string;
  auth?: AuthConfig;
  signal?: AbortSignal;
}

export interface RemoveImageOptions {
  force?: boolean;
  noprune?: boolean;
}

/** Image endpoints. */
export interface ImagesApi {
  /** `filters`: e.g. `{ reference: ['busybox:*'], dangling: ['false'] }`. */
  list(options?: { all?: boolean; filters?: Record<string, string[]> }): Promise<ImageSummary[]>;
  inspect(name: string): Promise<ImageInspect>;
  tag(name: string, repo: string, tag?: string): Promise<void>;
  remove(name: string, options?: RemoveImageOptions): Promise<ImageDeleteResponseItem[]>;
  /** Yields the daemon's progress messages; throws a CError when the stream reports a failure. */
  pull(image: string, options?: PullOptions): AsyncGenerator<ProgressMessage>;
  /** Yields the daemon's progress messages; throws a CError when the stream reports a failure. */
  push(name: string, options?: PushOptions): AsyncGenerator<ProgressMessage>;
}

/** A typed Docker Engine API client over the daemon's unix socket. */
export class EngineClient {
  readonly socketPath: string;
  readonly images: ImagesApi;
  readonly containers: ContainersApi;
  readonly exec: ExecApi;
  readonly networks: NetworksApi;
  private version_: string;
  private readonly transport: TransportOptions;
  private readonly calls: ClientCalls;

  constructor(options: EngineClientOptions = {}) {
    this.socketPath = options.socketPath ?? DEFAULT_SOCKET_PATH;
    this.version_ = options.apiVersion ?? API_VERSION;
    this.transport = {
      socketPath: this.socketPath,
      timeoutMs: options.timeoutMs ?? 60_000,
      maxBodyBytes: options.maxBodyBytes ?? 64 * 1024 * 1024,
    };
    const calls: ClientCalls = {
      json: (spec) => this.json(spec),
      call: (spec) => this.call(spec),
      hijack: (spec) => sendUpgrade(this.transport, this.versioned(spec)),
    };
    this.calls = calls;
    this.containers = containersApi(calls);
    this.exec = execApi(calls);
    this.networks = networksApi(calls);
    this.images = {
      list: (opts = {}) =>
        this.json<ImageSummary[]>({
          method: 'GET',
          path: '/images/json',
          query: { all: opts.all, filters: opts.filters ? encodeFilters(opts.filters) : undefined },
        }),
      inspect: (name) => this.json<ImageInspect>({ method: 'GET', path: `/images/${encodeName(name)}/json` }),
      tag: async (name, repo, tag) => {
        const res = await this.call({ method: 'POST', path: `/images/${encodeName(name)}/tag`, query: { repo, tag } });
        res.resume();
      },
      remove: (name, opts = {}) =>
        this.json<ImageDeleteResponseItem[]>({
          method: 'DELETE',
          path: `/images/${encodeName(name)}`,
          query: { force: opts.force, noprune: opts.noprune },
        }),
      pull: (image, opts = {}) =>
        this.progress({
          method: 'POST',
          path: '/images/create',
          query: { fromImage: image, tag: opts.tag, platform: opts.platform },
          headers: { 'X-Registry-Auth': encodeRegistryAuth(opts.auth ?? {}) },
          signal: opts.signal,
        }),
      push: (name, opts = {}) =>
        this.progress({
          method: 'POST',
          path: `/images/${encodeName(name)}/push`,
          query: { tag: opts.tag },
          headers: { 'X-Registry-Auth': encodeRegistryAuth(opts.auth ?? {}) },
          signal: opts.signal,
        }),
    };
  }

  /** The API version put in every path prefix. */
  get apiVersion(): string {
    return this.version_;
  }

  /**
   * Docker's negotiation: ping, then use the lower of this client's version and the daemon's `Api-Version`.
   * Throws UNSUPPORTED when the daemon is older than MIN_API_VERSION.
   */
  async negotiateApiVersion(): Promise<string> {
    const { apiVersion: server } = await this.ping();
    if (!server) return this.version_;
    if (compareApiVersions(server, MIN_API_VERSION) < 0) {
      throw new CError('UNSUPPORTED', `the daemon at ${this.socketPath} speaks API ${server}, older than ${MIN_API_VERSION}`, {
        hint: 'upgrade the daemon',
      });
    }
    if (compareApiVersions(server, this.version_) < 0) this.version_ = server;
    return this.version_;
  }

  /** `GET /_ping` (unversioned, as clients do before negotiating). */
  async ping(): Promise<PingResult> {
    const res = await send(this.transport, { method: 'GET', path: '/_ping' });
    if ((res.statusCode ?? 0) >= 400) throw await errorFromResponse(res, 'GET /_ping');
    res.resume();
    const header = (name: string): string | undefined => {
      const value = res.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    return {
      apiVersion: header('api-version') ?? '',
      osType: header('ostype') ?? '',
      experimental: header('docker-experimental') === 'true',
      builderVersion: header('builder-version'),
    };
  }

  version(): Promise<VersionResponse> {
    return this.json<VersionResponse>({ method: 'GET', path: '/version' });
  }

  info(): Promise<InfoResponse> {
    return this.json<InfoResponse>({ method: 'GET', path: '/info' });
  }

  /**
   * Hijacks a stream endpoint (attach, exec start) the way the docker CLI does: `Upgrade: tcp`, then the raw
   * socket. Decode a multiplexed stream with `demultiplex`/`FrameDecoder`; half-close with `socket.end()`.
   */
  hijack(
    path: string,
    options: { method?: 'POST' | 'GET'; query?: RequestSpec['query']; signal?: AbortSignal } = {},
  ): Promise<HijackedStream> {
    return sendUpgrade(
      this.transport,
      this.versioned({ method: options.method ?? 'POST', path, query: options.query, signal: options.signal }),
    );
  }

  /** `GET /events`: docker-shaped events as they happen (from `since`, until `until` or until the caller stops). */
  events(options: EventsOptions = {}): AsyncGenerator<EventMessage> {
    return eventStream(this.calls, options);
  }

  /** `GET /system/df`. */
  systemDf(): Promise<SystemDfResponse> {
    return systemDf(this.calls);
  }

  /** `POST /auth`: checks credentials against a registry. Throws UNAUTHORIZED when they are refused. */
  auth(config: AuthConfig): Promise<AuthResponse> {
    return this.json<AuthResponse>({ method: 'POST', path: '/auth', body: config });
  }

  private versioned(spec: RequestSpec): RequestSpec {
    return { ...spec, path: `/v${this.version_}${spec.path}` };
  }

  /** Sends a request and throws the daemon's error for a non-2xx status. */
  private async call(spec: RequestSpec): Promise<ApiResponse> {
    const versioned = this.versioned(spec);
    const res = await send(this.transport, versioned);
    if ((res.statusCode ?? 0) >= 300) throw await errorFromResponse(res, `${spec.method} ${spec.path}`);
    return res;
  }

  private async json<T>(spec: RequestSpec): Promise<T> {
    const what = `${spec.method} ${spec.path}`;
    const res = await this.call(spec);
    const body = await readBody(res, this.transport.maxBodyBytes, what);
    try {
      return JSON.parse(body.toString('utf8')) as T;
    } catch (error) {
      throw new CError('INTERNAL', `${what}: the daemon sent a body that is not JSON`, { cause: error });
    }
  }

  private async *progress(spec: RequestSpec): AsyncGenerator<ProgressMessage> {
    const what = `${spec.method} ${spec.path}`;
    const res = await this.call({ ...spec, streaming: true });
    try {
      for await (const value of parseNdjson(res)) {
        if (!isProgressMessage(value)) {
          throw new CError('INTERNAL', `${what}: the daemon sent a progress line that is not a message`, {
            details: { line: JSON.stringify(value).slice(0, 200) },
          });
        }
        const failure = progressErrorMessage(value);
        if (failure !== undefined) {
          throw new CError(errorCodeForProgress(value), failure, { details: { request: what } });
        }
        yield value;
      }
    } finally {
      // An early `break` by the caller (or a thrown error) must not leave the socket open.
      if (!res.complete) res.destroy();
    }
  }
}

/**
 * A failure inside a 200 stream has no HTTP status; the c daemon (and sometimes Docker) puts the status it would have
 * used in `errorDetail.code`. Without one, the failure is most likely the registry's: UNAVAILABLE.
 */
function errorCodeForProgress(message: ProgressMessage): ErrorCode {
  const code = message.errorDetail?.code;
  return typeof code === 'number' && code >= 400 ? errorCodeForStatus(code) : 'UNAVAILABLE';
}

/** Image names keep their `/` (Docker's routes take the rest of the path); everything else is escaped. */
function encodeName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}
