import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeFrame } from '@c/api';
import { control, json, upgraded } from '../testing/daemon-replies';
import { main } from './main';

// The lean client writes the container's output with writeSync on fds 1 and 2: capture those.
const output = vi.hoisted(() => ({ fd1: '', fd2: '' }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    writeSync: (fd: number, data: Buffer, offset = 0) => {
      if (fd !== 1 && fd !== 2) return fs.writeSync(fd, data, offset);
      output[fd === 1 ? 'fd1' : 'fd2'] += data.subarray(offset).toString();
      return data.length - offset;
    },
  };
});

interface Request {
  line: string;
  body: string;
}
type Reply = (socket: Socket, request: Request) => void;

const ID = 'b'.repeat(64);
/** vi.waitFor gives up after 1 s by default: too short for a connect and a reply on a loaded machine. */
const PATIENCE = { timeout: 10_000 };

let dir: string;
let server: Server | undefined;
let requests: Request[];
let stderr: string;

/** A daemon on a unix socket: each whole request (head and Content-Length body) goes to the first matching rule. */
async function fakeDaemon(rules: Array<[RegExp, Reply]>): Promise<string> {
  const socketPath = join(dir, 'd.sock');
  server = createServer((socket) => {
    let received = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = received.toString('latin1', 0, end);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (received.length < end + 4 + length) return;
      socket.removeAllListeners('data');
      const request = { line: head.slice(0, head.indexOf('\r\n')), body: received.toString('utf8', end + 4, end + 4 + length) };
      requests.push(request);
      const rule = rules.find(([pattern]) => pattern.test(request.line));
      if (rule) rule[1](socket, request);
      else json(socket, '404 Not Found', { message: 'page not found' });
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
  return socketPath;
}

/** Runs the lean client; returns its exit code, or 'fallback' when it handed the command line back. */
async function leanRun(args: string[]): Promise<number | 'fallback'> {
  process.exitCode = undefined;
  let fellBack = false;
  await main(args, () => {
    fellBack = true;
  });
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return fellBack ? 'fallback' : code;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-lean-run-'));
  requests = [];
  output.fd1 = '';
  output.fd2 = '';
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true));
});
afterEach(async () => {
  vi.restoreAllMocks();
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('the lean `c run` client', () => {
  it('sends the create body to /c/run/stream, writes stdout and stderr to fds 1 and 2, and exits with the status', async () => {
    const socket = await fakeDaemon([
      [/^POST \/v1\.43\/c\/run\/stream\?condition=removed&name=web HTTP\/1\.1$/, (s) => upgraded(s, [encodeFrame(1, 'out\n'), control({ Id: ID, Warnings: ['careful'] }), encodeFrame(2, 'err\n'), control({ StatusCode: 3, Error: null })])],
    ]);
    expect(await leanRun(['-H', `unix://${socket}`, 'run', '--rm', '--name', 'web', '-e', 'A=1', 'busybox', 'sh', '-c', 'exit 3'])).toBe(3);
    expect(output).toEqual({ fd1: 'out\n', fd2: 'err\n' });
    expect(stderr).toBe('WARNING: careful\n');
    const body = JSON.parse(requests[0]!.body) as { Image: string; Cmd: string[]; Env: string[]; AttachStdin: boolean; HostConfig: { AutoRemove: boolean } };
    expect(body).toMatchObject({ Image: 'busybox', Cmd: ['sh', '-c', 'exit 3'], Env: ['A=1'], AttachStdin: false, HostConfig: { AutoRemove: true } });
  });

  it('waits for next-exit without --rm; a start error about a missing executable exits 127', async () => {
    const message = 'exec: "nope": executable file not found in $PATH';
    const socket = await fakeDaemon([[/\/c\/run\/stream\?condition=next-exit /, (s) => upgraded(s, [control({ Id: ID, Warnings: [], StartError: { status: 400, message } })])]]);
    expect(await leanRun(['-H', `unix://${socket}`, 'run', 'busybox', 'nope'])).toBe(127);
    expect(stderr).toMatch(/^Error: exec: "nope": executable file not found in \$PATH: /);
  });

  it('exits 125 when the stream ends without the status, is cut inside a frame, or the daemon hangs up unanswered', async () => {
    let frames: Buffer[] = [control({ Id: ID, Warnings: [] })];
    const socket = await fakeDaemon([
      [/\/c\/run\/stream/, (s) => upgraded(s, frames)],
      [/\/c\/run /, (s) => s.end()],
    ]);
    const args = ['-H', `unix://${socket}`, 'run', 'busybox', 'true'];
    expect(await leanRun(args)).toBe(125);
    expect(stderr).toMatch(/^Error: the daemon ended the run stream without the container’s exit status/);
    stderr = '';
    frames = [encodeFrame(1, 'partial').subarray(0, 10)];
    expect(await leanRun(args)).toBe(125);
    expect(stderr).toMatch(/^Error: stdio stream ended inside a frame/);
    stderr = '';
    expect(await leanRun(['-H', `unix://${socket}`, 'run', '-d', 'busybox', 'true'])).toBe(125);
    expect(stderr).toMatch(/^Error: the daemon did not answer the run request/);
  });

  it('reports a final status or a -d answer of another shape (125) and never hands a created container back', async () => {
    let last: unknown = { Error: null };
    let detached: unknown = null;
    const socket = await fakeDaemon([
      [/\/c\/run\/stream/, (s) => upgraded(s, [encodeFrame(1, 'ran\n'), control({ Id: ID, Warnings: [] }), control(last)])],
      [/\/c\/run /, (s) => json(s, '201 Created', detached)],
    ]);
    const host = ['-H', `unix://${socket}`];
    for (const status of [{ Error: null }, { StatusCode: 3.5, Error: null }, { StatusCode: '0', Error: null }]) {
      last = status;
      stderr = '';
      expect(await leanRun([...host, 'run', 'busybox', 'true']), JSON.stringify(status)).toBe(125);
      expect(stderr).toMatch(/^Error: the daemon sent a malformed run answer: the exit status/);
    }
    for (const answer of [null, {}, { Id: ID, Warnings: 'careful' }]) {
      detached = answer;
      stderr = '';
      output.fd1 = '';
      expect(await leanRun([...host, 'run', '-d', 'busybox', 'true']), JSON.stringify(answer)).toBe(125);
      expect(stderr).toMatch(/^Error: the daemon sent a malformed run answer/);
      expect(output.fd1).toBe('');
    }
    expect(requests).toHaveLength(6);
  });

  it('forwards signals to the container once it runs (--sig-proxy), and stops forwarding when it exits', async () => {
    let stream: Socket | undefined;
    const killed = new Promise<string>((resolve) => {
      void fakeDaemon([
        [/\/c\/run\/stream/, (s) => ((stream = s), upgraded(s, [control({ Id: ID, Warnings: [] })], false))],
        [/\/kill\?/, (s, request) => (resolve(request.line), s.end('HTTP/1.1 204 No Content\r\n\r\n'))],
      ]);
    });
    const listeners = process.listenerCount('SIGTERM');
    const running = leanRun(['-H', `unix://${join(dir, 'd.sock')}`, 'run', 'busybox', 'sleep', '9']);
    await vi.waitFor(() => expect(process.listenerCount('SIGTERM')).toBe(listeners + 1), PATIENCE);
    process.emit('SIGTERM', 'SIGTERM');
    expect(await killed).toBe(`POST /v1.43/containers/${ID}/kill?signal=SIGTERM HTTP/1.1`);
    stream!.end(control({ StatusCode: 143, Error: null }));
    expect(await running).toBe(143);
    expect(process.listenerCount('SIGTERM')).toBe(listeners);
  });

  it('closes a forwarded signal’s request still unanswered once the container exits (a silent daemon keeps c alive)', async () => {
    let stream: Socket | undefined;
    let killSocket: Socket | undefined;
    await fakeDaemon([
      [/\/c\/run\/stream/, (s) => ((stream = s), upgraded(s, [control({ Id: ID, Warnings: [] })], false))],
      [/\/kill\?/, (s) => void (killSocket = s)], // never answers
    ]);
    const listeners = process.listenerCount('SIGINT');
    const running = leanRun(['-H', `unix://${join(dir, 'd.sock')}`, 'run', 'busybox', 'sleep', '9']);
    await vi.waitFor(() => expect(stream).toBeDefined(), PATIENCE);
    await vi.waitFor(() => expect(process.listenerCount('SIGINT')).toBeGreaterThan(listeners), PATIENCE);
    process.emit('SIGINT', 'SIGINT');
    await vi.waitFor(() => expect(killSocket).toBeDefined(), PATIENCE);
    const closed = new Promise((resolve) => killSocket!.on('close', resolve));
    stream!.end(control({ StatusCode: 130, Error: null }));
    expect(await running).toBe(130);
    await closed; // c closed it: nothing of this run is left open
  });

  it('c run -d prints the ID from /c/run; a failed start exits with its code', async () => {
    let startError: unknown;
    const socket = await fakeDaemon([[/^POST \/v1\.43\/c\/run HTTP/, (s) => json(s, '201 Created', { Id: ID, Warnings: [], ...(startError ? { StartError: startError } : {}) })]]);
    expect(await leanRun(['-H', `unix://${socket}`, 'run', '-d', 'busybox', 'sleep', '9'])).toBe(0);
    expect(output.fd1).toBe(`${ID}\n`);
    startError = { status: 400, message: 'exec: "/etc/passwd": permission denied' };
    output.fd1 = '';
    expect(await leanRun(['-H', `unix://${socket}`, 'run', '-d', 'busybox', '/etc/passwd'])).toBe(126);
    expect(output.fd1).toBe('');
    expect(stderr).toMatch(/^Error: exec: "\/etc\/passwd": permission denied/);
  });

  it('hands the command line back, having created nothing, when the daemon answers an error (the full client then pulls or reports)', async () => {
    const socket = await fakeDaemon([
      [/\/c\/run\/stream/, (s) => json(s, '404 Not Found', { message: 'No such image: busybox:latest' })],
      [/\/c\/run /, (s) => json(s, '409 Conflict', { message: 'Conflict. The container name "/x" is already in use' })],
    ]);
    expect(await leanRun(['-H', `unix://${socket}`, 'run', 'busybox', 'true'])).toBe('fallback');
    expect(await leanRun(['-H', `unix://${socket}`, 'run', '-d', '--name', 'x', 'busybox', 'true'])).toBe('fallback');
    expect(requests.map((r) => r.line.split(' ')[1])).toEqual(['/v1.43/c/run/stream?condition=next-exit', '/v1.43/c/run?name=x']);
    expect(output).toEqual({ fd1: '', fd2: '' });
    expect(stderr).toBe('');
  });

  it('hands back only after an error status: another answer without the upgrade or the 201 is reported (125)', async () => {
    const socket = await fakeDaemon([
      [/\/c\/run\/stream/, (s) => json(s, '200 OK', { Id: ID })],
      [/\/c\/run /, (s) => json(s, '202 Accepted', { Id: ID, Warnings: [] })],
    ]);
    expect(await leanRun(['-H', `unix://${socket}`, 'run', 'busybox', 'true'])).toBe(125);
    expect(stderr).toMatch(/^Error: the daemon answered the run request with status 200/);
    stderr = '';
    expect(await leanRun(['-H', `unix://${socket}`, 'run', '-d', 'busybox', 'true'])).toBe(125);
    expect(stderr).toMatch(/^Error: the daemon answered the run request with status 202/);
    expect(output).toEqual({ fd1: '', fd2: '' });
  });

  it('hands back, sending nothing, a terminal or stdin, a spelling the fast parser leaves alone, a bad flag value, and no daemon', async () => {
    const socket = await fakeDaemon([]);
    const host = ['-H', `unix://${socket}`];
    for (const args of [
      [...host, 'run', '-t', 'busybox', 'sh'],
      [...host, 'run', '-i', 'busybox', 'cat'],
      [...host, 'run', '--help'],
      [...host, 'run', '--env-file', join(dir, 'missing.env'), 'busybox', 'true'],
      ['-H', `unix://${join(dir, 'nobody.sock')}`, 'run', 'busybox', 'true'],
      ['-H', 'tcp://127.0.0.1:2375', 'run', 'busybox', 'true'],
    ]) {
      expect(await leanRun(args), args.join(' ')).toBe('fallback');
    }
    expect(requests).toEqual([]);
    expect(stderr).toBe('');
  });
});
