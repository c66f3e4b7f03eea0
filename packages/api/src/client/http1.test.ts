import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { http1Request, type ApiResponse, type Http1Request } from './http1';

/** A raw server: `script` gets each connection and the request bytes seen so far, and writes what it likes. */
let dir: string;
let server: Server;
let socketPath: string;
let lastRequest: Buffer;

function serve(script: (socket: Socket, request: Buffer) => void, until: (request: Buffer) => boolean = (r) => r.includes('\r\n\r\n')): Promise<void> {
  server = createServer((socket) => {
    let seen = Buffer.alloc(0);
    let answered = false;
    socket.on('data', (data) => {
      seen = Buffer.concat([seen, data]);
      lastRequest = seen;
      if (!answered && until(seen)) {
        answered = true;
        script(socket, seen);
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(socketPath, resolve));
}

function request(overrides: Partial<Http1Request> = {}): Http1Request {
  return { socketPath, method: 'GET', path: '/x', headers: {}, headTimeoutMs: 2000, onHeadTimeout: () => new Error('head timeout'), ...overrides };
}

async function text(response: ApiResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function responseOf(overrides: Partial<Http1Request> = {}): Promise<ApiResponse> {
  const result = await http1Request(request(overrides));
  if (result.kind !== 'response') throw new Error('expected a response');
  return result.response;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-http1-'));
  socketPath = join(dir, 's.sock');
});
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('http1Request', () => {
  it('reads a Content-Length body and ignores bytes after it', async () => {
    await serve((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Two: a\r\nX-Two: b\r\n\r\nhelloEXTRA'));
    const response = await responseOf();
    expect(response.statusCode).toBe(200);
    expect(response.statusMessage).toBe('OK');
    expect(response.headers['x-two']).toEqual(['a', 'b']);
    expect(await text(response)).toBe('hello');
    expect(response.complete).toBe(true);
  });

  it('decodes a chunked body split at every awkward boundary', async () => {
    const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n';
    await serve((s) => {
      // One byte per write: the parser must carry state across every boundary.
      let i = 0;
      const next = () => {
        if (i >= wire.length) return s.end();
        s.write(wire[i++]!, next);
      };
      next();
    });
    const response = await responseOf();
    expect(await text(response)).toBe('hello 0123456789');
    expect(response.complete).toBe(true);
  });

  it('reads until the connection closes when there is no framing', async () => {
    await serve((s) => {
      s.write('HTTP/1.0 200 OK\r\n\r\npart1-');
      setTimeout(() => s.end('part2'), 20);
    });
    expect(await text(await responseOf())).toBe('part1-part2');
  });

  it('has no body for 204 and for HEAD', async () => {
    await serve((s) => s.end('HTTP/1.1 204 No Content\r\n\r\n'));
    const empty = await responseOf({ method: 'POST' });
    expect(empty.statusCode).toBe(204);
    expect(await text(empty)).toBe('');
    await new Promise((resolve) => server.close(resolve));
    await serve((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n'));
    expect(await text(await responseOf({ method: 'HEAD' }))).toBe('');
  });

  it('sends the method, path, headers and a JSON body with its length, and asks to close', async () => {
    await serve(
      (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
      (r) => r.includes('{"a":1}'),
    );
    await text(await responseOf({ method: 'POST', path: '/v1.43/containers/create?name=x', headers: { 'Content-Type': 'application/json' }, body: Buffer.from('{"a":1}') }));
    const sent = lastRequest.toString('utf8');
    expect(sent.startsWith('POST /v1.43/containers/create?name=x HTTP/1.1\r\n')).toBe(true);
    expect(sent).toContain('Content-Length: 7\r\n');
    expect(sent).toContain('Connection: close\r\n');
    expect(sent.endsWith('\r\n\r\n{"a":1}')).toBe(true);
  });

  it('streams an upload with chunked transfer coding', async () => {
    await serve(
      (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
      (r) => r.includes('\r\n0\r\n\r\n'),
    );
    const upload = Readable.from([Buffer.from('abc'), Buffer.from('0123456789abcdef')]);
    expect(await text(await responseOf({ method: 'PUT', upload }))).toBe('ok');
    const sent = lastRequest.toString('utf8');
    expect(sent).toContain('Transfer-Encoding: chunked\r\n');
    expect(sent.slice(sent.indexOf('\r\n\r\n') + 4)).toBe('3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n');
  });

  it('hands back the raw socket on 101, keeping bytes that came with the head', async () => {
    await serve((s) => {
      s.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nfirst');
      setTimeout(() => s.end('-second'), 20);
    });
    const result = await http1Request(request({ method: 'POST', upgrade: true }));
    expect(result.kind).toBe('upgraded');
    if (result.kind !== 'upgraded') return;
    expect(result.headers['content-type']).toBe('application/vnd.docker.raw-stream');
    expect(lastRequest.toString('utf8')).toContain('Upgrade: tcp\r\n');
    const chunks: Buffer[] = [];
    for await (const chunk of result.socket) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString('utf8')).toBe('first-second');
  });

  it('answers an upgrade request refused with a normal response', async () => {
    await serve((s) => s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 13\r\n\r\n{"message":1}'));
    const result = await http1Request(request({ method: 'POST', upgrade: true }));
    expect(result.kind).toBe('response');
  });

  it.each([
    ['a status line that is not HTTP', 'SMTP ready\r\n\r\n', /not an HTTP\/1.x status line/],
    ['a malformed header', 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /malformed header line/],
    ['a bad Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /bad Content-Length/],
  ])('rejects %s', async (_what, wire, message) => {
    await serve((s) => s.end(wire));
    await expect(http1Request(request())).rejects.toThrow(message);
  });

  it('rejects a response head larger than 64 KiB', async () => {
    await serve((s) => s.end(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`));
    await expect(http1Request(request())).rejects.toThrow(/exceeds 65536 bytes/);
  });

  it('fails a chunked body with a bad size line, and a body cut short', async () => {
    // The bad bytes come once the reader listens: it gets the parser's reason.
    await serve((s) => {
      s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      setTimeout(() => s.end('zz\r\n'), 30);
    });
    await expect(text(await responseOf())).rejects.toThrow(/bad chunk size line/);
    await new Promise((resolve) => server.close(resolve));
    await serve((s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n');
      setTimeout(() => s.end('short'), 30);
    });
    await expect(text(await responseOf())).rejects.toThrow(/closed before the end of the response body/);
  });

  it('reports a body broken before anyone reads it to the later reader, without an unhandled error', async () => {
    await serve((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort'));
    const response = await responseOf();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await expect(text(response)).rejects.toThrow(/closed before the end of the response body/);
  });

  it('rejects when the connection closes before any response, and when nobody listens', async () => {
    await serve((s) => s.end());
    await expect(http1Request(request())).rejects.toThrow(/closed before a response/);
    await expect(http1Request(request({ socketPath: join(dir, 'nobody.sock') }))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('gives up on a silent server after the head timeout, and on abort', async () => {
    await serve(() => undefined);
    await expect(http1Request(request({ headTimeoutMs: 50 }))).rejects.toThrow('head timeout');
    const controller = new AbortController();
    const pending = http1Request(request({ headTimeoutMs: 0, signal: controller.signal }));
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('applies backpressure: a paused reader still gets every byte', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 7);
    await serve((s) => {
      s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n`);
      s.end(big);
    });
    const response = await responseOf();
    let total = 0;
    for await (const chunk of response) {
      total += (chunk as Buffer).length;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(total).toBe(big.length);
  });
});
