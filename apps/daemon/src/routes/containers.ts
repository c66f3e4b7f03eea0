/**
 * Container endpoints over the engine's ContainersBackend: lifecycle, inspection, logs, attach, stats and file
 * access, with docker's status codes (201 create, 204 actions, 304 start/stop that change nothing) and wording.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { parseFilters, STDERR, STDOUT } from '@c/api';
import { CError, isCError } from '@c/errors';
import type { ContainerRecord, WaitCondition } from '@c/engine';
import type { ContainersBackend } from '../containers/backend';
import { parseCreateRequest } from '../containers/create-body';
import { inspectDocument, statsDocument, summaryRow, systemCpuUsage, type StatsSample } from '../containers/shapes';
import { PendingAttachments, outputWriter, sinkWritable, stdioFor, type Attachment } from '../containers/stdio';
import { pathParam, queryInt, queryTime, requiredQuery } from '../http/params';
import { ttySize } from '../containers/tty-size';
import { runRoutes } from './run';
import { startFailure } from './start-failure';
import { queryFlag, readJsonBody, sendJson } from '../http/respond';
import type { RawStreamContentType, RequestContext, Route, StreamContext } from '../http/router';

const WAIT_CONDITIONS = new Set<WaitCondition>(['not-running', 'next-exit', 'removed']);

function noContent(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

function streamContentType(tty: boolean): RawStreamContentType {
  return tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
}

/** Aborts when the client goes away before the response finished. */
function abortOnClose(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => controller.abort());
  return controller.signal;
}

function readSystemCpu(): number {
  try {
    return systemCpuUsage(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return 0;
  }
}

export interface ContainerRouteOptions {
  /** Seconds between samples of a streaming stats response; docker's is 1. */
  statsIntervalMs?: number;
}

export function containerRoutes(containers: ContainersBackend, options: ContainerRouteOptions = {}): Route[] {
  const pending = new PendingAttachments();
  const statsInterval = options.statsIntervalMs ?? 1000;
  const id = (params: Record<string, string>): string => pathParam(params, 'id');

  const sample = (containerId: string): StatsSample => ({ stats: containers.stats(containerId), systemCpu: readSystemCpu() });

  /** Starts a container with the clients attached to it so far; their streams end when it exits. */
  const start = async (containerId: string): Promise<void> => {
    const attachments = pending.take(containerId);
    if (attachments.length === 0) {
      await containers.start(containerId);
      return;
    }
    // Registered before the start so that a container that exits at once is not missed.
    const exited = containers.wait(containerId, 'next-exit');
    try {
      await containers.start(containerId, stdioFor(attachments));
    } catch (error) {
      for (const a of attachments) a.end();
      throw error;
    }
    void exited.then(
      () => attachments.forEach((a) => a.end()),
      () => attachments.forEach((a) => a.end()),
    );
  };

  return [
    {
      method: 'GET',
      pattern: '/containers/json',
      handler: async ({ res, query }) => {
        const filters = Object.fromEntries(parseFilters(query.get('filters')));
        const limit = queryInt(query, 'limit') ?? -1;
        const all = queryFlag(query, 'all') || limit > 0;
        let rows = containers.list({ all, filters });
        if (limit > 0) rows = rows.slice(0, limit);
        const summaries = rows.map((row) => summaryRow(row, 'none'));
        // docker's `ps -s`: the sizes cost a walk of each writable layer, so only on request.
        if (queryFlag(query, 'size')) {
          const sizes = await Promise.all(rows.map((row) => containers.size(row.Id)));
          sendJson(res, 200, summaries.map((summary, i) => ({ ...summary, ...sizes[i] })));
          return;
        }
        sendJson(res, 200, summaries);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/create',
      handler: async ({ req, res, query }) => {
        const { options: createOptions, warnings } = parseCreateRequest(await readJsonBody(req), query.get('name'));
        const record = await containers.create(createOptions);
        sendJson(res, 201, { Id: record.Id, Warnings: warnings });
      },
    },
    {
      method: 'POST',
      pattern: '/containers/prune',
      handler: async ({ res, query }) => {
        const filters = parseFilters(query.get('filters'));
        const until = filters.get('until')?.[0];
        const untilSeconds = until === undefined ? undefined : queryTime(new URLSearchParams({ until }), 'until');
        const labels = filters.get('label');
        const candidates = containers.list({ all: true, filters: { status: ['created', 'exited', 'dead'], ...(labels ? { label: labels } : {}) } });
        const deleted: string[] = [];
        for (const row of candidates) {
          if (untilSeconds !== undefined && row.Created >= untilSeconds) continue;
          try {
            await containers.remove(row.Id);
            deleted.push(row.Id);
          } catch (error) {
            // Started or removed concurrently: not this prune's to delete.
            if (!isCError(error, 'CONFLICT') && !isCError(error, 'NOT_FOUND')) throw error;
          }
        }
        sendJson(res, 200, { ContainersDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: 0 });
      },
    },
    {
      method: 'GET',
      pattern: '/containers/{id}/json',
      handler: async ({ res, params, query }) => {
        const record = containers.inspect(id(params));
        const document = inspectDocument(record);
        sendJson(res, 200, queryFlag(query, 'size') ? { ...document, ...(await containers.size(record.Id)) } : document);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/start',
      handler: async ({ res, params }) => {
        const record = containers.inspect(id(params));
        if (record.State.Running) return noContent(res, 304);
        try {
          await start(record.Id);
        } catch (error) {
          throw await startFailure(containers, record, error);
        }
        noContent(res);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/stop',
      handler: async ({ res, params, query }) => {
        const record = containers.inspect(id(params));
        if (!record.State.Running) return noContent(res, 304);
        await containers.stop(record.Id, queryInt(query, 't'));
        noContent(res);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/restart',
      handler: async ({ res, params, query }) => {
        await containers.restart(id(params), queryInt(query, 't'));
        noContent(res);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/kill',
      handler: async ({ res, params, query }) => {
        const signal = query.get('signal');
        await containers.kill(id(params), signal ? signal : undefined);
        noContent(res);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/pause',
      handler: async ({ res, params }) => {
        await containers.pause(id(params));
        noContent(res);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/unpause',
      handler: async ({ res, params }) => {
        await containers.unpause(id(params));
        noContent(res);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/rename',
      handler: ({ res, params, query }) => {
        containers.rename(id(params), requiredQuery(query, 'name'));
        noContent(res);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/resize',
      handler: ({ res, params, query }) => {
        containers.resize(id(params), ttySize(query));
        res.writeHead(200, { 'Content-Length': '0' });
        res.end();
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/wait',
      handler: (context) => waitRoute(containers, context),
    },
    {
      method: 'DELETE',
      pattern: '/containers/{id}',
      handler: async ({ res, params, query }) => {
        if (queryFlag(query, 'link')) throw new CError('UNSUPPORTED', 'container links are not supported', { hint: 'drop --link' });
        await containers.remove(id(params), { force: queryFlag(query, 'force'), volumes: queryFlag(query, 'v') });
        noContent(res);
      },
    },
    {
      method: 'GET',
      pattern: '/containers/{id}/top',
      handler: async ({ res, params, query }) => {
        const psArgs = query.get('ps_args');
        sendJson(res, 200, await containers.top(id(params), psArgs ? psArgs : undefined));
      },
    },
    {
      method: 'GET',
      pattern: '/containers/{id}/changes',
      handler: async ({ res, params }) => sendJson(res, 200, await containers.changes(id(params))),
    },
    {
      method: 'GET',
      pattern: '/containers/{id}/export',
      handler: async ({ res, params }) => {
        const tar = await containers.export(id(params));
        res.writeHead(200, { 'Content-Type': 'application/x-tar' });
        res.on('close', () => tar.destroy());
        tar.pipe(res);
      },
    },
    {
      method: 'GET',
      pattern: '/containers/{id}/archive',
      handler: async ({ req, res, params, query }) => {
        const { stat, tar } = await containers.archiveGet(id(params), requiredQuery(query, 'path'));
        const headers = { 'Content-Type': 'application/x-tar', 'X-Docker-Container-Path-Stat': Buffer.from(JSON.stringify(stat)).toString('base64') };
        if (req.method === 'HEAD') {
          tar.destroy();
          res.writeHead(200, headers);
          res.end();
          return;
        }
        res.writeHead(200, headers);
        res.on('close', () => tar.destroy());
        tar.pipe(res);
      },
    },
    {
      method: 'PUT',
      pattern: '/containers/{id}/archive',
      handler: async ({ req, res, params, query }) => {
        await containers.archivePut(id(params), requiredQuery(query, 'path'), req);
        res.writeHead(200, { 'Content-Length': '0' });
        res.end();
      },
    },
    {
      method: 'GET',
      pattern: '/containers/{id}/logs',
      handler: async ({ res, params, query }) => {
        const record = containers.inspect(id(params));
        const stdout = queryFlag(query, 'stdout');
        const stderr = queryFlag(query, 'stderr');
        if (!stdout && !stderr) {
          throw new CError('INVALID_ARGUMENT', 'Bad parameters: you must choose at least one stream', { hint: 'add stdout=1 and/or stderr=1' });
        }
        const tail = query.get('tail');
        const since = queryTime(query, 'since');
        const until = queryTime(query, 'until');
        const timestamps = queryFlag(query, 'timestamps');
        const signal = abortOnClose(res);
        const entries = containers.logs(record.Id, {
          stdout,
          stderr,
          follow: queryFlag(query, 'follow'),
          signal,
          ...(since !== undefined && since > 0 ? { since } : {}),
          ...(until !== undefined && until > 0 ? { until } : {}),
          // docker: `all`, empty or a negative number mean everything (dockerode sends tail=-1).
          ...(tail !== null && /^\d+$/.test(tail) ? { tail: Number(tail) } : {}),
        });
        const tty = record.Config.Tty;
        res.writeHead(200, { 'Content-Type': streamContentType(tty) });
        res.flushHeaders();
        const write = outputWriter((chunk) => {
          if (!res.destroyed) res.write(chunk);
        }, tty);
        for await (const entry of entries) {
          if (signal.aborted) break;
          const line = timestamps ? `${entry.time} ${entry.line}` : entry.line;
          write(entry.stream === 'stderr' ? STDERR : STDOUT, Buffer.from(line));
        }
        res.end();
      },
    },
    {
      method: 'GET',
      pattern: '/containers/{id}/stats',
      handler: async ({ res, params, query }) => {
        const record = containers.inspect(id(params));
        const stream = query.get('stream') === null ? true : queryFlag(query, 'stream');
        const oneShot = queryFlag(query, 'one-shot');
        const take = (): StatsSample | undefined => {
          try {
            return sample(record.Id);
          } catch (error) {
            if (isCError(error, 'CONFLICT')) return undefined; // not running
            throw error;
          }
        };
        const zero: StatsSample = {
          stats: { read: '0001-01-01T00:00:00Z', pids_stats: { current: 0 }, memory_stats: { usage: 0 }, cpu_stats: { cpu_usage: { total_usage: 0 }, online_cpus: 0 } },
          systemCpu: 0,
        };
        if (!stream) {
          let previous: StatsSample | undefined;
          // docker fills precpu_stats from a sample a second earlier, so `docker stats --no-stream` can show CPU %.
          if (!oneShot && record.State.Running) {
            previous = take();
            await sleep(statsInterval);
          }
          sendJson(res, 200, statsDocument(record, take() ?? zero, previous));
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        const signal = abortOnClose(res);
        let previous: StatsSample | undefined;
        while (!signal.aborted) {
          const current = take();
          res.write(`${JSON.stringify(statsDocument(record, current ?? zero, previous))}\n`);
          if (current === undefined) break;
          previous = current;
          await sleep(statsInterval, undefined, { signal }).catch(() => undefined);
        }
        res.end();
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/attach',
      stream: (context) => attachRoute(containers, pending, context),
    },
    ...runRoutes(containers, pending, start),
  ];
}

/** `POST /containers/{id}/wait`: headers at once (docker run waits for them before it starts), the status at exit. */
async function waitRoute(containers: ContainersBackend, { res, params, query }: RequestContext): Promise<void> {
  const condition = (query.get('condition') || 'not-running') as WaitCondition;
  if (!WAIT_CONDITIONS.has(condition)) {
    throw new CError('INVALID_ARGUMENT', `invalid condition: "${condition}"`, { hint: 'use not-running, next-exit or removed' });
  }
  const record = containers.inspect(pathParam(params, 'id'));
  const result = containers.wait(record.Id, condition);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  const { StatusCode, Error: error } = await result;
  res.end(`${JSON.stringify({ StatusCode, Error: error ?? null })}\n`);
}

/**
 * `POST /containers/{id}/attach`: replays the log (`logs=1`), then (`stream=1`) either waits for the start the
 * client is about to ask for (docker run attaches first), or taps a running container's output and stdin live.
 */
async function attachRoute(containers: ContainersBackend, pending: PendingAttachments, context: StreamContext): Promise<void> {
  const { params, query } = context;
  const record: ContainerRecord = containers.inspect(pathParam(params, 'id'));
  const tty = record.Config.Tty;
  const wantStdin = queryFlag(query, 'stdin');
  const wantStdout = queryFlag(query, 'stdout');
  const wantStderr = queryFlag(query, 'stderr');
  // dockerode sends its options as a JSON body ahead of the hijacked stream; it is not stdin.
  if (String(context.req.headers['content-type'] ?? '').startsWith('application/json')) await context.readJsonPrefix();
  const stream = context.open(streamContentType(tty));
  const write = outputWriter((chunk) => stream.write(chunk), tty);

  if (queryFlag(query, 'logs') && (wantStdout || wantStderr)) {
    for await (const entry of containers.logs(record.Id, { stdout: wantStdout, stderr: wantStderr })) {
      write(entry.stream === 'stderr' ? STDERR : STDOUT, Buffer.from(entry.line));
    }
  }
  if (!queryFlag(query, 'stream')) {
    stream.end();
    return;
  }
  const current = containers.inspect(record.Id);
  if (!current.State.Running && current.State.Status !== 'restarting') {
    await new Promise<void>((resolve) => {
      const attachment: Attachment = {
        ...(wantStdin && record.Config.OpenStdin ? { stdin: stream.input as Readable } : {}),
        ...(wantStdout ? { stdout: (chunk: Buffer) => write(STDOUT, chunk) } : {}),
        ...(wantStderr ? { stderr: (chunk: Buffer) => write(STDERR, chunk) } : {}),
        end: () => {
          stream.end();
          resolve();
        },
      };
      const withdraw = pending.add(record.Id, attachment);
      // A client that leaves before the start must not be handed the container's stdio.
      context.req.socket.once('close', () => {
        withdraw();
        resolve();
      });
    });
    return;
  }
  // Already running: a live tap on its output from now on, and its stdin when it was created with OpenStdin.
  // docker closes the container's stdin when the client's ends only for StdinOnce containers.
  const closed = new Promise<void>((resolve) => {
    if (context.req.socket.destroyed) resolve();
    context.req.socket.once('close', () => resolve());
  });
  const { detach } = containers.attach(
    record.Id,
    {
      ...(wantStdin && record.Config.OpenStdin ? { stdin: stream.input as Readable } : {}),
      ...(wantStdout ? { stdout: sinkWritable((chunk) => write(STDOUT, chunk)) } : {}),
      ...(wantStderr ? { stderr: sinkWritable((chunk) => write(STDERR, chunk)) } : {}),
    },
    { closeStdin: record.Config.StdinOnce },
  );
  try {
    await Promise.race([containers.wait(record.Id, 'not-running'), closed]);
  } finally {
    detach();
  }
  stream.end();
}
