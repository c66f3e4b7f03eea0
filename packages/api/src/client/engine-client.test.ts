import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { decodeRegistryAuth } from '../auth';
import { encodeJsonLine, progressError } from '../ndjson';
import { EngineClient } from './engine-client';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe('EngineClient', () => {
  let dir: string;
  let server: Server;
  let handler: Handler;
  let seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }>;
  let client: EngineClient;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'c-api-client-'));
    seen = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        handler(req, res, body);
      });
    });
    const socketPath = join(dir, 'c.sock');
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    client = new EngineClient({ socketPath, timeoutMs: 2000 });
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const json = (status: number, value: unknown): Handler => (_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
  };

  it('pings unversioned and reads the headers', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Api-Version': '1.43', Ostype: 'linux', 'Docker-Experimental': 'false', 'Builder-Version': '1' });
      res.end('OK');
    };
    expect(await client.ping()).toEqual({ apiVersion: '1.43', osType: 'linux', experimental: false, builderVersion: '1' });
    expect(seen[0]?.url).toBe('/_ping');
  });

  it('negotiates down to an older daemon and refuses one below the minimum', async () => {
    handler = (_req, res) => res.writeHead(200, { 'Api-Version': '1.41' }).end('OK');
    expect(await client.negotiateApiVersion()).toBe('1.41');
    handler = json(200, { ApiVersion: '1.41' });
    await client.version();
    expect(seen.at(-1)?.url).toBe('/v1.41/version');
    handler = (_req, res) => res.writeHead(200, { 'Api-Version': '1.50' }).end('OK');
    expect(await client.negotiateApiVersion()).toBe('1.41');
    handler = (_req, res) => res.writeHead(200, { 'Api-Version': '1.12' }).end('OK');
    await expect(client.negotiateApiVersion()).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('prefixes the API version and keeps slashes of image names', async () => {
    handler = json(200, { Id: 'sha256:abc' });
    const inspected = await client.images.inspect('127.0.0.1:5000/team/app:1.0');
    expect(inspected.Id).toBe('sha256:abc');
    expect(seen[0]?.url).toBe('/v1.43/images/127.0.0.1%3A5000/team/app%3A1.0/json');
    handler = json(200, []);
    await client.images.list({ all: true });
    expect(seen[1]?.url).toBe('/v1.43/images/json?all=true');
    await client.images.list({ filters: { reference: ['busybox:*'] } });
    expect(new URL(`http://x${seen[2]?.url}`).searchParams.get('filters')).toBe('{"reference":{"busybox:*":true}}');
  });

  it('turns error statuses into CErrors with the daemon message', async () => {
    handler = json(404, { message: 'No such image: nope:latest' });
    const error = await client.images.inspect('nope').catch((caught: unknown) => caught);
    expect(isCError(error, 'NOT_FOUND')).toBe(true);
    expect((error as Error).message).toBe('No such image: nope:latest');
    handler = json(409, { message: 'conflict: unable to remove' });
    await expect(client.images.remove('x', { force: true })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(seen[1]?.url).toBe('/v1.43/images/x?force=true');
    handler = (_req, res) => res.writeHead(500).end('plain text');
    await expect(client.version()).rejects.toMatchObject({ code: 'INTERNAL', message: /HTTP 500: plain text/ });
  });

  it('streams pull progress, sends credentials, and throws on a mid-stream error', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(encodeJsonLine({ status: 'Pulling from library/busybox', id: 'latest' }));
      setTimeout(() => {
        res.write(encodeJsonLine({ status: 'Downloading', id: 'abc', progressDetail: { current: 1, total: 2 } }));
        res.end(encodeJsonLine({ ...progressError('unauthorized: nope'), errorDetail: { message: 'unauthorized: nope', code: 401 } }));
      }, 20);
    };
    const received: string[] = [];
    const pulling = (async () => {
      for await (const message of client.images.pull('busybox', { tag: 'latest', auth: { username: 'u', password: 'p' } })) {
        received.push(message.status ?? '');
      }
    })();
    const error = await pulling.catch((caught: unknown) => caught);
    expect(received).toEqual(['Pulling from library/busybox', 'Downloading']);
    expect(isCError(error, 'UNAUTHORIZED')).toBe(true);
    expect(seen[0]?.url).toBe('/v1.43/images/create?fromImage=busybox&tag=latest');
    expect(decodeRegistryAuth(String(seen[0]?.headers['x-registry-auth']))).toEqual({ username: 'u', password: 'p' });
  });

  it('posts auth as JSON and tags with query parameters', async () => {
    handler = json(200, { Status: 'Login Succeeded' });
    expect(await client.auth({ username: 'a', password: 'b', serveraddress: 'r' })).toEqual({ Status: 'Login Succeeded' });
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ username: 'a', password: 'b', serveraddress: 'r' });
    handler = (_req, res) => res.writeHead(201).end();
    await client.images.tag('busybox', 'localhost:5000/bb', 'v1');
    expect(seen[1]?.url).toBe('/v1.43/images/busybox/tag?repo=localhost%3A5000%2Fbb&tag=v1');
  });

  it('hijacks with Upgrade: tcp and hands back the socket, or throws the error status', async () => {
    server.on('upgrade', (req, socket) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' });
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhi');
      socket.on('data', (chunk: Buffer) => socket.end(chunk));
    });
    const { socket, contentType } = await client.hijack('/containers/abc/attach', { query: { stream: 1 } });
    expect(contentType).toBe('application/vnd.docker.raw-stream');
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/v1.43/containers/abc/attach?stream=1' });
    expect(seen.at(-1)?.headers.upgrade).toBe('tcp');
    socket.write('!');
    const chunks: Buffer[] = [];
    for await (const chunk of socket as AsyncIterable<Buffer>) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('hi!');
  });

  it('reports a missing daemon as UNAVAILABLE with a hint', async () => {
    const absent = new EngineClient({ socketPath: join(dir, 'absent.sock') });
    const error = await absent.ping().catch((caught: unknown) => caught);
    expect(isCError(error, 'UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('absent.sock');
  });
});
