import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { CError } from '@c/errors';
import { startDaemon, type RunningDaemon } from '../daemon';
import { MemoryImages } from '../testing/memory-images';

function call(socketPath: string, method: string, path: string, body?: Buffer): Promise<{ status: number; type: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: body ? { 'Content-Type': 'application/x-tar' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** MemoryImages plus the engine's saveImages/loadImages, recording what they were given. */
class ArchiveImages extends MemoryImages {
  saved: string[][] = [];
  loadedBytes = Buffer.alloc(0);
  async saveImages(names: readonly string[]): Promise<Readable> {
    if (names.includes('missing')) throw new CError('NOT_FOUND', 'No such image: missing');
    this.saved.push([...names]);
    return Readable.from([Buffer.from(`tar of ${names.join(' ')}`)]);
  }
  async loadImages(source: AsyncIterable<Uint8Array>) {
    const chunks: Buffer[] = [];
    for await (const chunk of source) chunks.push(Buffer.from(chunk));
    this.loadedBytes = Buffer.concat(chunks);
    return [{ id: `sha256:${'a'.repeat(64)}`, names: ['busybox:latest', 'busybox:1'] }];
  }
}

describe('image save/load routes', () => {
  let dir: string;
  let daemon: RunningDaemon | undefined;

  afterEach(async () => {
    await daemon?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function serve(images: MemoryImages): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'c-daemon-archive-'));
    const socket = join(dir, 'c.sock');
    daemon = await startDaemon({ config: { sockets: [socket], root: join(dir, 'root') }, images });
    return socket;
  }

  it('GET /images/get?names= and /images/{name}/get stream the tar; an unknown image is 404 before any byte', async () => {
    const images = new ArchiveImages();
    const socket = await serve(images);
    const many = await call(socket, 'GET', '/v1.43/images/get?names=busybox&names=localhost%3A5000%2Fa%3Av1');
    expect([many.status, many.type, many.body.toString()]).toEqual([200, 'application/x-tar', 'tar of busybox localhost:5000/a:v1']);
    const one = await call(socket, 'GET', '/images/localhost:5000/a:v1/get');
    expect(one.body.toString()).toBe('tar of localhost:5000/a:v1');
    expect((await call(socket, 'GET', '/images/missing/get')).status).toBe(404);
    expect((await call(socket, 'GET', '/images/get')).status).toBe(400);
  });

  it('POST /images/load takes a plain or gzip tar and answers docker’s JSON messages', async () => {
    const images = new ArchiveImages();
    const socket = await serve(images);
    const tar = Buffer.alloc(1024, 7);
    for (const body of [tar, gzipSync(tar)]) {
      const res = await call(socket, 'POST', '/images/load?quiet=0', body);
      expect(res.status).toBe(200);
      expect(res.type).toBe('application/json');
      expect(res.body.toString()).toBe('{"stream":"Loaded image: busybox:latest\\n"}\n{"stream":"Loaded image: busybox:1\\n"}\n');
      expect(images.loadedBytes.equals(tar)).toBe(true);
    }
  });

  it('a backend without save/load answers 501', async () => {
    const socket = await serve(new MemoryImages());
    expect((await call(socket, 'GET', '/images/get?names=busybox')).status).toBe(501);
    expect((await call(socket, 'POST', '/images/load', Buffer.alloc(512))).status).toBe(501);
  });
});
