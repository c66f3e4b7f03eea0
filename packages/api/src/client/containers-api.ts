/**
 * Container, exec, events and system-df calls of the typed client. The stream decoders turn the daemon's wire
 * formats into values: stdio frames (`Frame`), NDJSON (events, stats).
 */
import type { ApiResponse } from './http1';
import { CError } from '@c/errors';
import { encodeFilters } from '../filters';
import { STDOUT, demultiplex, type Frame } from '../frames';
import { parseNdjson } from '../ndjson';
import type {
  ContainerChange,
  ContainerCreateRequest,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerPathStat,
  ContainerPruneResponse,
  ContainerStatsResponse,
  ContainerSummary,
  ContainerTopResponse,
  ContainerWaitResponse,
  EventMessage,
  RunDetachedResponse,
  ExecCreateRequest,
  ExecInspectResponse,
  SystemDfResponse,
} from '../types/containers';
import type { HijackedStream, RequestSpec } from './transport';

/** What the API objects need from the EngineClient (its private request helpers). */
export interface ClientCalls {
  json<T>(spec: RequestSpec): Promise<T>;
  /** Non-2xx → the daemon's error; the response otherwise (the caller reads or discards it). */
  call(spec: RequestSpec): Promise<ApiResponse>;
  hijack(spec: RequestSpec): Promise<HijackedStream>;
}

export interface AttachOptions {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** Keep streaming until the container exits (default true). */
  stream?: boolean;
  /** Replay the log first. */
  logs?: boolean;
}

export interface LogsOptions {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** Unix seconds or RFC 3339. */
  since?: string | number;
  until?: string | number;
  tail?: number | 'all';
  timestamps?: boolean;
  /** A TTY container's log is not multiplexed: say so to get it as stdout frames. */
  tty?: boolean;
  signal?: AbortSignal;
}

export interface EventsOptions {
  since?: string | number;
  until?: string | number;
  filters?: Record<string, string[]>;
  signal?: AbortSignal;
}

export interface ContainersApi {
  create(config: ContainerCreateRequest, options?: { name?: string }): Promise<ContainerCreateResponse>;
  /** `size`: each row also carries SizeRw and SizeRootFs (docker ps -s). */
  list(options?: { all?: boolean; limit?: number; size?: boolean; filters?: Record<string, string[]> }): Promise<ContainerSummary[]>;
  inspect(id: string): Promise<ContainerInspect>;
  start(id: string): Promise<void>;
  stop(id: string, options?: { t?: number }): Promise<void>;
  restart(id: string, options?: { t?: number }): Promise<void>;
  kill(id: string, options?: { signal?: string }): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  rename(id: string, name: string): Promise<void>;
  resize(id: string, size: { h: number; w: number }): Promise<void>;
  remove(id: string, options?: { force?: boolean; v?: boolean }): Promise<void>;
  prune(options?: { filters?: Record<string, string[]> }): Promise<ContainerPruneResponse>;
  /** Resolves when the condition is met (the response headers arrive at once: open it before `start`). */
  wait(id: string, options?: { condition?: 'not-running' | 'next-exit' | 'removed'; signal?: AbortSignal }): Promise<ContainerWaitResponse>;
  /** Hijacks the attach endpoint: write stdin to `socket`, half-close with `socket.end()`, decode with `demultiplex`. */
  attach(id: string, options?: AttachOptions): Promise<HijackedStream>;
  /**
   * c's `POST /c/run` (not a Docker endpoint: a 404 `page not found` from other daemons): create and start in one
   * request. A create failure throws as `create` does; a failed start is `StartError` in the answer.
   */
  runDetached(config: ContainerCreateRequest, options?: { name?: string }): Promise<RunDetachedResponse>;
  /**
   * c's `POST /c/run/stream` (hijacked; not a Docker endpoint): create, attach, wait (`condition`, default
   * next-exit) and start in one exchange. A create failure throws as `create` does; then the socket carries
   * multiplexed output with `RunStreamControl` messages in stream-3 frames (see the type), and takes stdin
   * (`stdin: true`; half-close with `socket.end()`).
   */
  runStream(config: ContainerCreateRequest, options?: { name?: string; stdin?: boolean; condition?: 'next-exit' | 'removed' }): Promise<HijackedStream>;
  /** The log as frames (stream 1 stdout, 2 stderr). */
  logs(id: string, options?: LogsOptions): AsyncGenerator<Frame>;
  top(id: string, options?: { psArgs?: string }): Promise<ContainerTopResponse>;
  changes(id: string): Promise<ContainerChange[]>;
  /** One sample (`stream=false`). */
  stats(id: string, options?: { oneShot?: boolean }): Promise<ContainerStatsResponse>;
  /** A sample per second until the container stops or the caller breaks. */
  statsStream(id: string, options?: { signal?: AbortSignal }): AsyncGenerator<ContainerStatsResponse>;
  /** A tar of the container's filesystem. */
  export(id: string): Promise<ApiResponse>;
  statPath(id: string, path: string): Promise<ContainerPathStat>;
  getArchive(id: string, path: string): Promise<{ stat: ContainerPathStat; tar: ApiResponse }>;
  putArchive(id: string, path: string, tar: NodeJS.ReadableStream): Promise<void>;
  /** An empty `repo` commits an untagged image; `pause: false` reads a running container's changes without freezing it. */
  commit(id: string, options: { repo: string; tag?: string; comment?: string; author?: string; changes?: string[]; pause?: boolean }): Promise<{ Id: string }>;
}

export interface ExecApi {
  create(container: string, config: ExecCreateRequest): Promise<{ Id: string }>;
  /** Hijacked start: stdin to `socket`, output multiplexed unless `tty`. */
  start(id: string, options?: { tty?: boolean }): Promise<HijackedStream>;
  /** Detached start: returns once the process runs. */
  startDetached(id: string): Promise<void>;
  inspect(id: string): Promise<ExecInspectResponse>;
  resize(id: string, size: { h: number; w: number }): Promise<void>;
}

function enc(id: string): string {
  return encodeURIComponent(id);
}

async function drain(res: ApiResponse): Promise<void> {
  res.resume();
  await new Promise<void>((resolve) => {
    if (res.complete) resolve();
    else res.once('end', resolve).once('close', resolve);
  });
}

function pathStat(res: ApiResponse, what: string): ContainerPathStat {
  const header = res.headers['x-docker-container-path-stat'];
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) throw new CError('INTERNAL', `${what}: the daemon sent no X-Docker-Container-Path-Stat header`);
  try {
    return JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as ContainerPathStat;
  } catch (error) {
    throw new CError('INTERNAL', `${what}: X-Docker-Container-Path-Stat is not base64 JSON`, { cause: error });
  }
}

/** Frames of a log or attach stream; a TTY stream is raw bytes, reported as stdout. */
export async function* stdioFrames(source: AsyncIterable<Buffer>, tty: boolean): AsyncGenerator<Frame> {
  if (!tty) {
    yield* demultiplex(source);
    return;
  }
  for await (const chunk of source) yield { stream: STDOUT, payload: chunk };
}

export function containersApi(calls: ClientCalls): ContainersApi {
  const action = async (spec: RequestSpec): Promise<void> => drain(await calls.call(spec));
  return {
    create: (config, options = {}) => calls.json({ method: 'POST', path: '/containers/create', query: { name: options.name }, body: config }),
    list: (options = {}) =>
      calls.json({
        method: 'GET',
        path: '/containers/json',
        query: { all: options.all, limit: options.limit, size: options.size, filters: options.filters ? encodeFilters(options.filters) : undefined },
      }),
    inspect: (id) => calls.json({ method: 'GET', path: `/containers/${enc(id)}/json` }),
    start: (id) => action({ method: 'POST', path: `/containers/${enc(id)}/start` }),
    stop: (id, options = {}) => action({ method: 'POST', path: `/containers/${enc(id)}/stop`, query: { t: options.t }, streaming: true }),
    restart: (id, options = {}) => action({ method: 'POST', path: `/containers/${enc(id)}/restart`, query: { t: options.t }, streaming: true }),
    kill: (id, options = {}) => action({ method: 'POST', path: `/containers/${enc(id)}/kill`, query: { signal: options.signal } }),
    pause: (id) => action({ method: 'POST', path: `/containers/${enc(id)}/pause` }),
    unpause: (id) => action({ method: 'POST', path: `/containers/${enc(id)}/unpause` }),
    rename: (id, name) => action({ method: 'POST', path: `/containers/${enc(id)}/rename`, query: { name } }),
    resize: (id, size) => action({ method: 'POST', path: `/containers/${enc(id)}/resize`, query: { h: size.h, w: size.w } }),
    remove: (id, options = {}) => action({ method: 'DELETE', path: `/containers/${enc(id)}`, query: { force: options.force, v: options.v } }),
    prune: (options = {}) =>
      calls.json({ method: 'POST', path: '/containers/prune', query: { filters: options.filters ? encodeFilters(options.filters) : undefined } }),
    wait: (id, options = {}) =>
      calls.json({ method: 'POST', path: `/containers/${enc(id)}/wait`, query: { condition: options.condition }, signal: options.signal, streaming: true }),
    attach: (id, options = {}) =>
      calls.hijack({
        method: 'POST',
        path: `/containers/${enc(id)}/attach`,
        query: {
          stream: options.stream ?? true,
          stdin: options.stdin ?? false,
          stdout: options.stdout ?? true,
          stderr: options.stderr ?? true,
          logs: options.logs ?? false,
        },
      }),
    runDetached: (config, options = {}) => calls.json({ method: 'POST', path: '/c/run', query: { name: options.name }, body: config }),
    runStream: (config, options = {}) =>
      calls.hijack({
        method: 'POST',
        path: '/c/run/stream',
        query: { name: options.name, stdin: options.stdin ? 1 : undefined, condition: options.condition },
        body: config,
      }),
    async *logs(id, options = {}) {
      const res = await calls.call({
        method: 'GET',
        path: `/containers/${enc(id)}/logs`,
        query: {
          follow: options.follow,
          stdout: options.stdout ?? true,
          stderr: options.stderr ?? true,
          since: options.since,
          until: options.until,
          tail: options.tail,
          timestamps: options.timestamps,
        },
        signal: options.signal,
        streaming: true,
      });
      try {
        yield* stdioFrames(res as AsyncIterable<Buffer>, options.tty ?? false);
      } finally {
        if (!res.complete) res.destroy();
      }
    },
    top: (id, options = {}) => calls.json({ method: 'GET', path: `/containers/${enc(id)}/top`, query: { ps_args: options.psArgs } }),
    changes: (id) => calls.json({ method: 'GET', path: `/containers/${enc(id)}/changes` }),
    stats: (id, options = {}) =>
      calls.json({ method: 'GET', path: `/containers/${enc(id)}/stats`, query: { stream: false, 'one-shot': options.oneShot }, streaming: true }),
    async *statsStream(id, options = {}) {
      const res = await calls.call({ method: 'GET', path: `/containers/${enc(id)}/stats`, query: { stream: true }, signal: options.signal, streaming: true });
      try {
        for await (const value of parseNdjson(res)) yield value as ContainerStatsResponse;
      } finally {
        if (!res.complete) res.destroy();
      }
    },
    export: (id) => calls.call({ method: 'GET', path: `/containers/${enc(id)}/export`, streaming: true }),
    async statPath(id, path) {
      const res = await calls.call({ method: 'HEAD', path: `/containers/${enc(id)}/archive`, query: { path } });
      res.resume();
      return pathStat(res, `HEAD /containers/${id}/archive`);
    },
    async getArchive(id, path) {
      const res = await calls.call({ method: 'GET', path: `/containers/${enc(id)}/archive`, query: { path }, streaming: true });
      return { stat: pathStat(res, `GET /containers/${id}/archive`), tar: res };
    },
    putArchive: (id, path, tar) =>
      action({ method: 'PUT', path: `/containers/${enc(id)}/archive`, query: { path }, upload: { stream: tar, contentType: 'application/x-tar' }, streaming: true }),
    commit: (id, options) =>
      calls.json({
        method: 'POST',
        path: '/commit',
        query: { container: id, repo: options.repo, tag: options.tag, comment: options.comment, author: options.author, changes: options.changes?.join('\n'), pause: options.pause === false ? 0 : undefined },
        body: {},
      }),
  };
}

export function execApi(calls: ClientCalls): ExecApi {
  return {
    create: (container, config) =>
      calls.json({ method: 'POST', path: `/containers/${enc(container)}/exec`, body: { AttachStdout: true, AttachStderr: true, ...config } }),
    start: (id, options = {}) => calls.hijack({ method: 'POST', path: `/exec/${enc(id)}/start`, body: { Detach: false, Tty: options.tty ?? false } }),
    async startDetached(id) {
      await drain(await calls.call({ method: 'POST', path: `/exec/${enc(id)}/start`, body: { Detach: true, Tty: false } }));
    },
    inspect: (id) => calls.json({ method: 'GET', path: `/exec/${enc(id)}/json` }),
    async resize(id, size) {
      await drain(await calls.call({ method: 'POST', path: `/exec/${enc(id)}/resize`, query: { h: size.h, w: size.w } }));
    },
  };
}

/** `GET /events` as a stream of messages (until `until`, or until the caller breaks or aborts). */
export async function* eventStream(calls: ClientCalls, options: EventsOptions = {}): AsyncGenerator<EventMessage> {
  const res = await calls.call({
    method: 'GET',
    path: '/events',
    query: { since: options.since, until: options.until, filters: options.filters ? encodeFilters(options.filters) : undefined },
    signal: options.signal,
    streaming: true,
  });
  try {
    for await (const value of parseNdjson(res)) yield value as EventMessage;
  } finally {
    if (!res.complete) res.destroy();
  }
}

export function systemDf(calls: ClientCalls): Promise<SystemDfResponse> {
  return calls.json({ method: 'GET', path: '/system/df' });
}
