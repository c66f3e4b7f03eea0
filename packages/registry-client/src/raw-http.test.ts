/**
 * The bare-socket HTTP/1.1 client against servers that write exact bytes: framing (length, chunked, until
 * close, HEAD, interim 1xx), keep-alive reuse, backpressure, and every way a response can go wrong.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RawHttpPool, type HttpResponse } from './raw-http';

interface Served {
  url: URL;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

/** A server whose `answer` writes raw bytes for each request head it reads. */
async function serve(answer: (socket: net.Socket, request: string, index: number) => void): Promise<Served> {
  const state = { connections: 0, requests: [] as string[] };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = '';
    socket.on('data', (data) => {
      pending += data.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        const request = pending.slice(0, end);
        pending = pending.slice(end + 4);
        state.requests.push(request);
        answer(socket, request, state.requests.length - 1);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/blob`),
    get connections() {
      return state.connections;
    },
    requests: state.requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function body(res: HttpResponse): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

let served: Served | undefined;
let pool: RawHttpPool | undefined;
afterEach(async () => {
  pool?.destroy();
  await served?.close();
  served = undefined;
  pool = undefined;
});

function get(url: URL, extra: Partial<{ method: 'GET' | 'HEAD'; headers: Record<string, string>; idleTimeoutMs: number; signal: AbortSignal }> = {}) {
  pool ??= new RawHttpPool();
  return pool.send({ method: extra.method ?? 'GET', url, headers: extra.headers ?? {}, idleTimeoutMs: extra.idleTimeoutMs ?? 5000, signal: extra.signal });
}

describe('RawHttpPool', () => {
  it('holds no read buffer for a connection idling in the pool', async () => {
    const payload = randomBytes(100_000);
    served = await serve((socket) => socket.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${payload.length}\r\n\r\n`), payload])));
    const first = await body(await get(served.url));
    expect(first.equals(payload)).toBe(true);
    expect(pool!.idleBufferBytes()).toBe(0);
    // The connection reads into a fresh arena when it is used again.
    expect((await body(await get(served.url))).equals(payload)).toBe(true);
    expect(served.connections).toBe(1);
  });

  it('reads a Content-Length body, parses status and headers, and reuses the connection', async () => {
    const payload = randomBytes(300_000);
    served = await serve((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${payload.length}\r\nX-Twice: a\r\nX-Twice: b\r\n\r\n`);
      socket.write(payload);
    });
    const first = await get(served.url, { headers: { 'user-agent': 'c-test' } });
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-twice']).toBe('a, b');
    expect((await body(first)).equals(payload)).toBe(true);
    expect(first.complete).toBe(true);
    const second = await get(served.url);
    expect((await body(second)).equals(payload)).toBe(true);
    expect(served.connections).toBe(1);
    expect(served.requests[0]).toMatch(/^GET \/blob HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\nuser-agent: c-test$/);
  });

  it('decodes chunked bodies split at every byte boundary, with extensions and trailers', async () => {
    const wire = Buffer.from('5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n');
    served = await serve((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      // One byte at a time, so every state of the decoder meets a read boundary.
      let at = 0;
      const next = () => {
        if (at < wire.length) socket.write(wire.subarray(at, ++at), () => setImmediate(next));
      };
      next();
    });
    const res = await get(served.url);
    expect((await body(res)).toString()).toBe('hello world');
    expect(res.complete).toBe(true);
  });

  it('reads a body without length until the connection closes, and does not reuse that connection', async () => {
    served = await serve((socket) => socket.end('HTTP/1.1 200 OK\r\n\r\nuntil the end'));
    expect((await body(await get(served.url))).toString()).toBe('until the end');
    expect((await body(await get(served.url))).toString()).toBe('until the end');
    expect(served.connections).toBe(2);
  });

  it('reads no body for HEAD (whatever Content-Length says) and skips interim 1xx responses', async () => {
    served = await serve((socket, request) => {
      if (request.startsWith('HEAD')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n');
      else socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}');
    });
    const head = await get(served.url, { method: 'HEAD' });
    expect(head.headers['content-length']).toBe('1234');
    expect((await body(head)).length).toBe(0);
    const missing = await get(served.url);
    expect(missing.statusCode).toBe(404);
    expect((await body(missing)).toString()).toBe('{}');
    expect(served.connections).toBe(1);
  });

  it('stops reading while the consumer is paused and resumes when it reads again', async () => {
    const payload = randomBytes(24 * 1024 * 1024);
    served = await serve((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${payload.length}\r\n\r\n`);
      socket.write(payload);
    });
    const res = await get(served.url, { idleTimeoutMs: 2000 });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (chunks.length === 1) {
          res.pause();
          setTimeout(() => res.resume(), 200);
        }
      });
      res.once('end', resolve).once('error', reject);
    });
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
  });

  it('fails a body cut short with a retryable ECONNRESET, and a stalled one with ETIMEDOUT', async () => {
    served = await serve((socket, request) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly some');
      if (request.includes('x-cut: yes')) setTimeout(() => socket.destroy(), 20);
    });
    const cut = await get(served.url, { headers: { 'x-cut': 'yes' } });
    await expect(body(cut)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(cut.complete).toBe(false);
    // 1 s, not 100 ms: the idle timer runs from the request, so a process stalled 150 ms before it read the head
    // timed the head out instead of the body.
    const stalled = await get(served.url, { idleTimeoutMs: 1000 });
    await expect(body(stalled)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('rejects malformed responses and header values that would split the request', async () => {
    served = await serve((socket) => socket.write('HTTP/1.1 two hundred\r\n\r\n'));
    await expect(get(served.url)).rejects.toMatchObject({ code: 'ECONNRESET', message: expect.stringMatching(/malformed HTTP response: bad status line/) });
    await expect(get(served.url, { headers: { 'x-evil': 'a\r\nx-injected: 1' } })).rejects.toThrow(/invalid character/);
  });

  it('replaces a kept-alive connection the server closed while it was idle', async () => {
    served = await serve((socket, _request, index) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      // The first connection is closed right after its response, as an idle timeout on the server would.
      if (index === 0) setTimeout(() => socket.destroy(), 10);
    });
    expect((await body(await get(served.url))).toString()).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await body(await get(served.url))).toString()).toBe('ok');
    expect(served.connections).toBe(2);
  });

  it('destroys the connection when the signal aborts mid-body', async () => {
    served = await serve((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nstart'));
    const controller = new AbortController();
    const res = await get(served.url, { signal: controller.signal });
    const failed = body(res);
    controller.abort();
    await expect(failed).rejects.toMatchObject({ code: 'ABORT_ERR' });
  });
});
