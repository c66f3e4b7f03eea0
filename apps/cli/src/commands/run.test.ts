import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeFrame } from '@c/api';
import { control, json, upgraded } from '../testing/daemon-replies';
import { run } from './run';

/** What the fake daemon does with one request (the request line, e.g. `POST /v1.43/c/run/stream?…`). */
type Reply = (socket: Socket, requestLine: string) => void;

const ID = 'a'.repeat(64);

let dir: string;
let server: Server;
let requests: string[];
let stdout: string;
let stderr: string;

/** A daemon on a unix socket that answers each request by the first rule whose pattern its request line matches. */
async function fakeDaemon(rules: Array<[RegExp, Reply]>): Promise<string> {
  const socketPath = join(dir, 'd.sock');
  server = createServer((socket) => {
    socket.once('data', (data: Buffer) => {
      const line = data.toString('latin1', 0, data.indexOf('\r\n'));
      requests.push(line.split(' ').slice(0, 2).join(' '));
      const rule = rules.find(([pattern]) => pattern.test(line));
      if (rule) rule[1](socket, line);
      else json(socket, '404 Not Found', { message: 'page not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return socketPath;
}

async function cRun(socketPath: string, argv: Record<string, unknown>): Promise<number> {
  process.exitCode = undefined;
  await run({ image: 'busybox', command: ['true'], ...argv }, { root: dir, rootGiven: false, host: `unix://${socketPath}`, debug: false });
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return code;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-cli-run-'));
  requests = [];
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise((resolve) => server?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('c run over c-daemon’s run stream', () => {
  it('prints the output, warnings, and exits with the container’s status', async () => {
    const socket = await fakeDaemon([
      [/^POST \/v[\d.]+\/c\/run\/stream\?condition=removed /, (s) => upgraded(s, [encodeFrame(1, 'out\n'), control({ Id: ID, Warnings: ['careful'] }), encodeFrame(2, 'err\n'), control({ StatusCode: 3, Error: null })])],
    ]);
    expect(await cRun(socket, { rm: true })).toBe(3);
    expect(stdout).toBe('out\n');
    expect(stderr).toBe('WARNING: careful\nerr\n');
    expect(requests).toEqual(['POST /v1.43/c/run/stream?condition=removed']);
  });

  it('exits 127 for a start error about a missing executable, with the daemon’s message', async () => {
    const message = 'exec: "nope": executable file not found in $PATH';
    const socket = await fakeDaemon([[/\/c\/run\/stream/, (s) => upgraded(s, [control({ Id: ID, Warnings: [], StartError: { status: 400, message } })])]]);
    expect(await cRun(socket, {})).toBe(127);
    expect(stderr).toMatch(/^Error: exec: "nope": executable file not found in \$PATH: /);
  });

  it('exits 125 and says so when the stream ends without the exit status', async () => {
    const socket = await fakeDaemon([[/\/c\/run\/stream/, (s) => upgraded(s, [control({ Id: ID, Warnings: [] })])]]);
    expect(await cRun(socket, {})).toBe(125);
    expect(stderr).toMatch(/^Error: the daemon ended the run stream without the container’s exit status/);
  });

  it('falls back to docker’s calls when the daemon has no run stream (404 page not found)', async () => {
    let attach: Socket | undefined;
    // The attach stream ends once the wait has answered (as the container's output would). Ended from the wait's
    // answer, not by a timer on every connection: a 100 ms timer could end the wait's connection before its answer
    // when the process stalled (then 125 and a write after end).
    const socket = await fakeDaemon([
      [/^POST \/v[\d.]+\/containers\/create /, (s) => json(s, '201 Created', { Id: ID, Warnings: [] })],
      [/\/attach\?/, (s) => ((attach = s), upgraded(s, [encodeFrame(1, 'via attach\n')], false))],
      [/\/wait\?condition=next-exit /, (s) => setTimeout(() => (json(s, '200 OK', { StatusCode: 0, Error: null }), attach?.end()), 50)],
      [/\/start /, (s) => s.end('HTTP/1.1 204 No Content\r\n\r\n')],
    ]);
    expect(await cRun(socket, {})).toBe(0);
    expect(stdout).toBe('via attach\n');
    expect(requests.slice(0, 2)).toEqual(['POST /v1.43/c/run/stream?condition=next-exit', 'POST /v1.43/containers/create']);
    expect(requests).toEqual(expect.arrayContaining([`POST /v1.43/containers/${ID}/start`]));
  });
});

describe('c run -d over c-daemon’s run endpoint', () => {
  it('prints the id; a failed start exits with its code', async () => {
    let startError: unknown;
    const socket = await fakeDaemon([[/^POST \/v[\d.]+\/c\/run /, (s) => json(s, '201 Created', { Id: ID, Warnings: [], ...(startError ? { StartError: startError } : {}) })]]);
    expect(await cRun(socket, { detach: true })).toBe(0);
    expect(stdout).toBe(`${ID}\n`);
    startError = { status: 400, message: 'exec: "/etc/passwd": permission denied' };
    stdout = '';
    expect(await cRun(socket, { detach: true })).toBe(126);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^Error: exec: "\/etc\/passwd": permission denied/);
  });

  it('a create failure (a name in use) is 125', async () => {
    const socket = await fakeDaemon([[/^POST \/v[\d.]+\/c\/run[ ?]/, (s) => json(s, '409 Conflict', { message: 'Conflict. The container name "/x" is already in use' })]]);
    expect(await cRun(socket, { detach: true, name: 'x' })).toBe(125);
    expect(stderr).toMatch(/^Error: Conflict\. The container name "\/x" is already in use/);
    expect(requests).toEqual(['POST /v1.43/c/run?name=x']);
  });
});
