import { mkdtemp, rm } from 'node:fs/promises';
import { request, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineClient, FrameDecoder, STDERR, STDOUT, encodeFrame, type Frame } from '@c/api';
import { CError } from '@c/errors';
import { closeServer, createHttpServer, listenUnix } from '../server';
import { createApiHandler } from './api-handler';
import { Router } from './router';

/** A stand-in for attach: upper-cases stdin to stdout, says "bye" on stderr when stdin ends. */
function echoRouter(): Router {
  return new Router()
    .add({ method: 'GET', pattern: '/version', handler: ({ res }) => void res.writeHead(200).end('{}') })
    .add({
      method: 'POST',
      pattern: '/containers/{id}/attach',
      stream: async ({ params, query, open }) => {
        if (params.id === 'missing') throw new CError('NOT_FOUND', 'No such container: missing');
        const tty = query.get('tty') === '1';
        const out = open(tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
        for await (const chunk of out.input) {
          const upper = Buffer.from(String(chunk).toUpperCase());
          out.write(tty ? upper : encodeFrame(STDOUT, upper));
        }
        out.write(tty ? 'bye' : encodeFrame(STDERR, 'bye'));
        out.end();
      },
    });
}

async function readFrames(source: AsyncIterable<Buffer>): Promise<Array<[number, string]>> {
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  for await (const chunk of source) frames.push(...decoder.push(chunk));
  decoder.end();
  return frames.map((f) => [f.stream, f.payload.toString()]);
}

describe('stream endpoints: hijacked and plain', () => {
  let dir: string;
  let server: Server;
  let socket: string;
  let client: EngineClient;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'c-daemon-stream-'));
    socket = join(dir, 'c.sock');
    server = createHttpServer(createApiHandler({ router: echoRouter(), serverVersion: '0.0.0' }));
    await listenUnix(server, socket);
    client = new EngineClient({ socketPath: socket });
  });

  afterEach(async () => {
    await closeServer(server, socket);
    await rm(dir, { recursive: true, force: true });
  });

  it('answers Upgrade: tcp with 101 UPGRADED and Docker headers', async () => {
    const conn = connect(socket);
    conn.write('POST /v1.43/containers/abc/attach?stream=1 HTTP/1.1\r\nHost: c\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    const head = await new Promise<string>((resolve) => conn.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    expect(head).toMatch(/^HTTP\/1.1 101 UPGRADED\r\n/);
    expect(head).toMatch(/\r\nContent-Type: application\/vnd.docker.multiplexed-stream\r\n/);
    expect(head).toMatch(/\r\nApi-Version: 1.43\r\n/);
    expect(head).toMatch(/\r\nUpgrade: tcp\r\n/);
    conn.destroy();
  });

  it('carries stdin and stdout both ways over the hijacked socket, and stdin half-close ends the session', async () => {
    const { socket: stream, contentType } = await client.hijack('/containers/abc/attach', { query: { stream: 1, stdin: 1 } });
    expect(contentType).toBe('application/vnd.docker.multiplexed-stream');
    stream.write('hello ');
    stream.write('world');
    stream.end();
    const frames = await readFrames(stream as AsyncIterable<Buffer>);
    expect(frames.at(-1)).toEqual([STDERR, 'bye']);
    expect(frames.filter(([id]) => id === STDOUT).map(([, text]) => text).join('')).toBe('HELLO WORLD');
  });

  it('sends a raw stream for TTY sessions', async () => {
    const { socket: stream, contentType } = await client.hijack('/containers/abc/attach', { query: { tty: 1 } });
    expect(contentType).toBe('application/vnd.docker.raw-stream');
    stream.end('tty');
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('TTYbye');
  });

  it('answers errors before the upgrade with a JSON status', async () => {
    await expect(client.hijack('/containers/missing/attach')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'No such container: missing',
    });
    await expect(client.hijack('/containers/x/nothing')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'page not found' });
    await expect(client.hijack('/version', { method: 'GET' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const tooNew = new EngineClient({ socketPath: socket, apiVersion: '1.99' });
    await expect(tooNew.hijack('/containers/abc/attach')).rejects.toMatchObject({ message: /too new/ });
  });

  it('without an upgrade, streams 200 while the request body stays open', async () => {
    const frames: Array<[number, string]> = [];
    await new Promise<void>((resolve, reject) => {
      const req = request({ socketPath: socket, method: 'POST', path: '/containers/abc/attach?stdin=1' }, (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('application/vnd.docker.multiplexed-stream');
        const decoder = new FrameDecoder();
        res.on('data', (chunk: Buffer) => {
          for (const frame of decoder.push(chunk)) {
            frames.push([frame.stream, frame.payload.toString()]);
            // The echo of the first line arrived while the body is still open: now finish stdin.
            if (frame.payload.toString() === 'FIRST') req.end('second');
          }
        });
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.flushHeaders();
      req.write('first');
    });
    expect(frames).toEqual([
      [STDOUT, 'FIRST'],
      [STDOUT, 'SECOND'],
      [STDERR, 'bye'],
    ]);
  });

  it('ends hijacked sessions on shutdown', async () => {
    const { socket: stream } = await client.hijack('/containers/abc/attach');
    const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
    stream.on('data', () => undefined);
    stream.on('error', () => undefined);
    const started = Date.now();
    await closeServer(server, socket);
    await closed;
    expect(Date.now() - started).toBeLessThan(5000);
    // afterEach closes again: that must be harmless.
  });
});
