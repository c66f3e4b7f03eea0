import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openUnixPipe, PipeError, type UnixPipe } from './unix-pipe';

let dir: string;
let server: Server | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-unix-pipe-'));
});
afterEach(async () => {
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function listen(onConnection: Parameters<typeof createServer>[1]): Promise<string> {
  const path = join(dir, 's.sock');
  server = createServer(onConnection);
  return new Promise((resolve) => server!.listen(path, () => resolve(path)));
}

function readAll(pipe: UnixPipe): Promise<{ data: Buffer; error: PipeError | undefined }> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => pipe.read((chunk) => chunks.push(Buffer.from(chunk)), (error) => resolve({ data: Buffer.concat(chunks), error })));
}

describe('openUnixPipe', () => {
  it('writes, reads until the peer closes, and closes', async () => {
    const path = await listen((socket) => socket.on('data', (data) => socket.end(`echo:${data.toString()}`)));
    const pipe = await openUnixPipe(path)!;
    const read = readAll(pipe);
    await pipe.write(Buffer.from('hello'));
    const { data, error } = await read;
    expect(data.toString()).toBe('echo:hello');
    expect(error).toBeUndefined();
    pipe.close();
    pipe.close(); // twice is harmless
    await expect(pipe.write(Buffer.from('late'))).rejects.toMatchObject({ code: 'EPIPE', syscall: 'write' });
  });

  it('hands over a write larger than the socket buffer whole (the write completes later)', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 7);
    const path = await listen((socket) => {
      let received = 0;
      socket.on('data', (data: Buffer) => {
        received += data.length;
        if (received === big.length) socket.end(String(received));
      });
    });
    const pipe = await openUnixPipe(path)!;
    const read = readAll(pipe);
    await pipe.write(big);
    expect((await read).data.toString()).toBe(String(big.length));
    pipe.close();
  });

  it('rejects with the errno name: no socket file (ENOENT), a file that is not a socket (ECONNREFUSED)', async () => {
    await expect(openUnixPipe(join(dir, 'missing.sock'))).rejects.toMatchObject({ code: 'ENOENT', syscall: 'connect', path: join(dir, 'missing.sock') });
    const plain = join(dir, 'plain');
    writeFileSync(plain, '');
    const refused = openUnixPipe(plain);
    await expect(refused).rejects.toBeInstanceOf(PipeError);
    await expect(refused).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('is not offered under --pending-deprecation (Node would warn about process.binding)', async () => {
    vi.resetModules();
    vi.stubEnv('NODE_OPTIONS', '--pending-deprecation');
    try {
      const fresh = await import('./unix-pipe');
      expect(fresh.openUnixPipe(join(dir, 'any.sock'))).toBeUndefined();
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
