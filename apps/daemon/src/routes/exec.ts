/** Exec endpoints: create in a running container, start (hijacked or raw stream, or detached), inspect, resize. */
import type { Readable } from 'node:stream';
import { STDERR, STDOUT } from '@c/api';
import { CError } from '@c/errors';
import type { ContainersBackend } from '../containers/backend';
import { execDocument } from '../containers/shapes';
import { outputWriter, sinkWritable } from '../containers/stdio';
import { pathParam } from '../http/params';
import { ttySize } from '../containers/tty-size';
import { queryFlag, readJsonBody, sendJson } from '../http/respond';
import type { Route } from '../http/router';

type Json = Record<string, unknown>;

function asObject(value: unknown, what: string): Json {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CError('INVALID_ARGUMENT', `${what} must be a JSON object`, { hint: 'send docker’s exec config as JSON' });
  }
  return value as Json;
}

function strings(body: Json, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new CError('INVALID_ARGUMENT', `exec config: ${field} must be a list of strings`, { hint: 'e.g. "Cmd": ["sh", "-c", "echo hi"]' });
  }
  return value as string[];
}

function optionalString(body: Json, field: string): string | undefined {
  const value = body[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function execRoutes(containers: ContainersBackend): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/containers/{id}/exec',
      handler: async ({ req, res, params }) => {
        const body = asObject(await readJsonBody(req), 'exec config');
        if (body.Privileged === true) throw new CError('UNSUPPORTED', 'privileged exec is not supported by c', { hint: 'drop --privileged' });
        const env = strings(body, 'Env');
        const workingDir = optionalString(body, 'WorkingDir');
        const user = optionalString(body, 'User');
        const execId = containers.exec.create(pathParam(params, 'id'), {
          cmd: strings(body, 'Cmd') ?? [],
          tty: body.Tty === true,
          attachStdin: body.AttachStdin === true,
          ...(env ? { env } : {}),
          ...(workingDir ? { workingDir } : {}),
          ...(user ? { user } : {}),
        });
        sendJson(res, 201, { Id: execId });
      },
    },
    {
      method: 'POST',
      pattern: '/exec/{id}/start',
      stream: async (context) => {
        const execId = pathParam(context.params, 'id');
        const body = asObject(await context.readJsonPrefix(), 'exec start config');
        const exec = containers.exec.inspect(execId);
        if (body.Detach === true) {
          const started = await containers.exec.start(execId);
          // Nobody reads a detached exec's output: drain it so the process never blocks on a full pipe.
          started.stdout.resume();
          started.stderr.resume();
          context.open('application/vnd.docker.raw-stream').end();
          return;
        }
        const tty = exec.ProcessConfig.tty;
        const stream = context.open(tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
        const write = outputWriter((chunk) => stream.write(chunk), tty);
        const started = await containers.exec.start(execId, {
          ...(exec.OpenStdin ? { stdin: stream.input as Readable } : {}),
          stdout: sinkWritable((chunk) => write(STDOUT, chunk)),
          stderr: sinkWritable((chunk) => write(STDERR, chunk)),
        });
        await started.exit;
        stream.end();
      },
    },
    {
      method: 'GET',
      pattern: '/exec/{id}/json',
      handler: ({ res, params }) => sendJson(res, 200, execDocument(containers.exec.inspect(pathParam(params, 'id')))),
    },
    {
      method: 'POST',
      pattern: '/exec/{id}/resize',
      handler: async ({ res, params, query }) => {
        await containers.exec.resize(pathParam(params, 'id'), ttySize(query));
        res.writeHead(200, { 'Content-Length': '0' });
        res.end();
      },
    },
    {
      method: 'POST',
      pattern: '/commit',
      handler: async ({ req, res, query }) => {
        const container = query.get('container');
        if (!container) throw new CError('INVALID_ARGUMENT', 'commit needs ?container=', { hint: 'name the container to commit' });
        // The body (a container config to merge) is read and discarded: edits arrive as `changes`.
        await readJsonBody(req);
        const repo = query.get('repo');
        const tag = query.get('tag');
        if (!repo && tag) throw new CError('INVALID_ARGUMENT', 'a tag needs a repository name', { hint: 'docker commit CONTAINER REPO:TAG' });
        const comment = query.get('comment');
        const author = query.get('author');
        const changes = query.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim() !== '');
        const result = await containers.commit(container, {
          // Without a repository the image is untagged; docker answers its Id all the same.
          ...(repo ? { reference: tag ? `${repo}:${tag}` : repo } : {}),
          // docker pauses unless pause=0/false.
          pause: query.get('pause') === null ? true : queryFlag(query, 'pause'),
          ...(comment ? { comment } : {}),
          ...(author ? { author } : {}),
          ...(changes.length > 0 ? { changes } : {}),
        });
        sendJson(res, 201, { Id: result.id });
      },
    },
  ];
}
