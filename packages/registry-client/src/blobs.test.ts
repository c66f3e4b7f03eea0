import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from './client';
import { blob } from './test-support/fixtures';
import { MemoryBlobStore } from './test-support/memory-store';
import { offlineWithNock } from './test-support/nock';

const REG = 'https://registry.example.com';
const R = 'registry.example.com';
const fast = { retryBaseDelayMs: 1, maxRetries: 2 };

offlineWithNock();

const layer = blob(randomBytes(64 * 1024));
const path = `/v2/team/app/blobs/${layer.descriptor.digest}`;

describe('fetchBlob over nock', () => {
  it('follows a 307 to a CDN host without sending Authorization there', async () => {
    nock(REG).get('/v2/').reply(401, '', { 'www-authenticate': 'Bearer realm="https://auth.example.com/token",service="registry.example.com"' });
    nock('https://auth.example.com').get('/token').query(true).reply(200, { token: 'secret-token' });
    nock(REG).get(path).matchHeader('authorization', 'Bearer secret-token').reply(307, '', { location: 'https://cdn.example.net/blobs/abc?sig=xyz' });
    nock('https://cdn.example.net', { badheaders: ['authorization'] }).get('/blobs/abc').query({ sig: 'xyz' }).reply(200, layer.bytes);
    const store = new MemoryBlobStore();
    const progress: number[] = [];
    const result = await new RegistryClient(fast).fetchBlob(R, 'team/app', layer.descriptor, store, { onProgress: (p) => progress.push(p.current) });
    expect(result).toBe('downloaded');
    expect(Buffer.from(await store.read(layer.descriptor.digest)).equals(layer.bytes)).toBe(true);
    expect(progress.at(-1)).toBe(layer.bytes.length);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('ignores an auth challenge from the CDN it was redirected to (no credentials to its realm)', async () => {
    nock(REG).get('/v2/').reply(401, '', { 'www-authenticate': 'Bearer realm="https://auth.example.com/token",service="registry.example.com"' });
    nock('https://auth.example.com').get('/token').query(true).reply(200, { token: 'secret-token' });
    nock(REG).get(path).reply(307, '', { location: 'https://cdn.example.net/blobs/abc' });
    nock('https://cdn.example.net').get('/blobs/abc').reply(401, '', { 'www-authenticate': 'Basic realm="https://evil.example.net/token"' });
    const asked: string[] = [];
    const client = new RegistryClient({ ...fast, credentials: { get: async (registry) => (asked.push(registry), { username: 'u', password: 'p' }) } });
    const error = await client.fetchBlob(R, 'team/app', layer.descriptor, new MemoryBlobStore()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    // The registry's bearer token was fetched once; the CDN's Basic challenge did not make us send the password.
    expect(asked).toEqual([R]);
  });

  it('drops Authorization on a redirect to the same host on another port', async () => {
    const location = 'https://registry.example.com:8443/storage/blob';
    nock(REG).get('/v2/').reply(401, '', { 'www-authenticate': 'Basic realm="r"' });
    nock(REG).get(path).matchHeader('authorization', /^Basic /).reply(302, '', { location });
    nock(new URL(location).origin, { badheaders: ['authorization'] }).get('/storage/blob').reply(200, layer.bytes);
    const client = new RegistryClient({ ...fast, credentials: { get: async () => ({ username: 'u', password: 'p' }) } });
    expect(await client.fetchBlob(R, 'team/app', layer.descriptor, new MemoryBlobStore())).toBe('downloaded');
  });

  it('drops Authorization on a redirect to plain http (fetched over a bare socket, which nock cannot see)', async () => {
    const seen: Array<string | undefined> = [];
    const storage = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-length': String(layer.bytes.length) }).end(layer.bytes);
    });
    await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
    nock.enableNetConnect('127.0.0.1');
    try {
      const location = `http://127.0.0.1:${(storage.address() as AddressInfo).port}/storage/blob`;
      nock(REG).get('/v2/').reply(401, '', { 'www-authenticate': 'Basic realm="r"' });
      nock(REG).get(path).matchHeader('authorization', /^Basic /).reply(302, '', { location });
      const client = new RegistryClient({ ...fast, credentials: { get: async () => ({ username: 'u', password: 'p' }) } });
      expect(await client.fetchBlob(R, 'team/app', layer.descriptor, new MemoryBlobStore())).toBe('downloaded');
      client.close();
      expect(seen).toEqual([undefined]);
    } finally {
      nock.disableNetConnect();
      storage.closeAllConnections();
      await new Promise<void>((resolve) => storage.close(() => resolve()));
    }
  });

  it('keeps Authorization on a redirect within the same origin', async () => {
    nock(REG).get('/v2/').reply(401, '', { 'www-authenticate': 'Basic realm="r"' });
    const auth = `Basic ${Buffer.from('u:p').toString('base64')}`;
    nock(REG).get(path).matchHeader('authorization', auth).reply(302, '', { location: '/storage/blob' });
    nock(REG).get('/storage/blob').matchHeader('authorization', auth).reply(200, layer.bytes);
    const client = new RegistryClient({ ...fast, credentials: { get: async () => ({ username: 'u', password: 'p' }) } });
    await client.fetchBlob(R, 'team/app', layer.descriptor, new MemoryBlobStore());
  });

  it('resumes a partial ingest with Range and appends the 206 body', async () => {
    const store = new MemoryBlobStore();
    store.partial.set(layer.descriptor.digest, layer.bytes.subarray(0, 1000));
    nock(REG).get('/v2/').reply(200, {});
    nock(REG)
      .get(path)
      .matchHeader('range', 'bytes=1000-')
      .reply(206, layer.bytes.subarray(1000), { 'content-range': `bytes 1000-${layer.bytes.length - 1}/${layer.bytes.length}` });
    await new RegistryClient(fast).fetchBlob(R, 'team/app', layer.descriptor, store);
    expect(Buffer.from(await store.read(layer.descriptor.digest)).equals(layer.bytes)).toBe(true);
  });

  it('skips the bytes it holds when the server ignores Range and answers 200', async () => {
    const store = new MemoryBlobStore();
    store.partial.set(layer.descriptor.digest, layer.bytes.subarray(0, 5000));
    nock(REG).get('/v2/').reply(200, {});
    nock(REG).get(path).matchHeader('range', 'bytes=5000-').reply(200, layer.bytes);
    await new RegistryClient(fast).fetchBlob(R, 'team/app', layer.descriptor, store);
    expect(Buffer.from(await store.read(layer.descriptor.digest)).equals(layer.bytes)).toBe(true);
  });

  it('starts over when a 206 begins somewhere else than asked', async () => {
    const store = new MemoryBlobStore();
    store.partial.set(layer.descriptor.digest, layer.bytes.subarray(0, 100));
    nock(REG).get('/v2/').reply(200, {});
    nock(REG).get(path).matchHeader('range', 'bytes=100-').reply(206, layer.bytes.subarray(50), { 'content-range': `bytes 50-${layer.bytes.length - 1}/${layer.bytes.length}` });
    nock(REG).get(path).matchHeader('range', (v) => v === undefined).reply(200, layer.bytes);
    await new RegistryClient(fast).fetchBlob(R, 'team/app', layer.descriptor, store);
    expect(store.events).toEqual([`abort ${layer.descriptor.digest}`, `commit ${layer.descriptor.digest}`]);
  });

  it('rejects content whose digest differs and commits nothing', async () => {
    const store = new MemoryBlobStore();
    nock(REG).get('/v2/').reply(200, {});
    nock(REG).get(path).reply(200, randomBytes(layer.bytes.length));
    const error = await new RegistryClient(fast).fetchBlob(R, 'team/app', layer.descriptor, store).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(await store.has(layer.descriptor.digest)).toBe(false);
    expect(store.blobs.size).toBe(0);
  });

  it('stops as soon as more than the declared size arrives (LIMIT_EXCEEDED), discarding the ingest', async () => {
    const store = new MemoryBlobStore();
    nock(REG).get('/v2/').reply(200, {});
    nock(REG).get(path).reply(200, Buffer.concat([layer.bytes, Buffer.alloc(10)]));
    const error = await new RegistryClient(fast).fetchBlob(R, 'team/app', layer.descriptor, store).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringContaining(`larger than its declared ${layer.bytes.length} bytes`) });
    expect(store.events).toEqual([`abort ${layer.descriptor.digest}`]);
    expect(store.partial.size).toBe(0);
  });

  it('reports a failing local store as such, without retrying the download', async () => {
    const store = new MemoryBlobStore();
    const realIngest = store.ingest.bind(store);
    store.ingest = async (digest, size) => {
      const ingest = await realIngest(digest, size);
      return { ...ingest, offset: ingest.offset, write: async () => { throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }); } };
    };
    nock(REG).get('/v2/').reply(200, {});
    nock(REG).get(path).once().reply(200, layer.bytes);
    const error = await new RegistryClient(fast).fetchBlob(R, 'team/app', layer.descriptor, store).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INTERNAL', message: `writing blob ${layer.descriptor.digest} to the local store failed: no space left on device` });
  });

  it('does not download a blob the sink already has', async () => {
    const store = new MemoryBlobStore();
    store.put(layer.bytes);
    expect(await new RegistryClient(fast).fetchBlob(R, 'team/app', layer.descriptor, store)).toBe('exists');
  });

  it('maps BLOB_UNKNOWN to NOT_FOUND and keeps nothing', async () => {
    const store = new MemoryBlobStore();
    nock(REG).get('/v2/').reply(200, {});
    nock(REG).get(path).reply(404, { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] });
    const error = await new RegistryClient(fast).fetchBlob(R, 'team/app', layer.descriptor, store).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: `blob ${layer.descriptor.digest} of team/app not found: blob unknown to registry` });
  });
});

describe('fetchBlob against a real socket', () => {
  let server: Server;
  let registry: string;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  const requests: Array<{ range: string | undefined }> = [];

  beforeAll(async () => {
    nock.enableNetConnect('127.0.0.1');
    server = createServer((req, res) => {
      if (req.url === '/v2/') {
        res.end('{}');
        return;
      }
      requests.push({ range: req.headers.range });
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    registry = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    nock.disableNetConnect();
  });
  afterEach(() => {
    requests.length = 0;
  });

  it('resumes after the connection drops mid-body (truncated body)', async () => {
    const half = 30_000;
    handler = (req, res) => {
      if (!req.headers.range) {
        res.writeHead(200, { 'content-length': String(layer.bytes.length) });
        res.write(layer.bytes.subarray(0, half), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      const start = Number(/bytes=(\d+)-/.exec(req.headers.range)?.[1]);
      res.writeHead(206, { 'content-range': `bytes ${start}-${layer.bytes.length - 1}/${layer.bytes.length}`, 'content-length': String(layer.bytes.length - start) });
      res.end(layer.bytes.subarray(start));
    };
    const store = new MemoryBlobStore();
    await new RegistryClient(fast).fetchBlob(registry, 'team/app', layer.descriptor, store);
    expect(requests[0]).toEqual({ range: undefined });
    expect(requests[1]?.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/bytes=(\d+)-/.exec(requests[1]!.range!)![1])).toBeGreaterThan(0);
    expect(Buffer.from(await store.read(layer.descriptor.digest)).equals(layer.bytes)).toBe(true);
  });

  it('gives up after the retry budget when every attempt is cut short, keeping the partial data', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': String(layer.bytes.length) });
      res.write(layer.bytes.subarray(0, 100), () => setTimeout(() => res.socket?.destroy(), 20));
    };
    const store = new MemoryBlobStore();
    const error = await new RegistryClient(fast).fetchBlob(registry, 'team/app', layer.descriptor, store).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNAVAILABLE' });
    expect(requests).toHaveLength(3);
    expect(store.blobs.size).toBe(0);
    expect(store.partial.get(layer.descriptor.digest)?.length).toBe(100); // kept for a later resume
  });

  it('treats a response that ends early without error as truncated and resumes', async () => {
    handler = (req, res) => {
      const start = req.headers.range ? Number(/bytes=(\d+)-/.exec(req.headers.range)?.[1]) : 0;
      // Chunked encoding, ended cleanly after at most 20 000 bytes: no socket error, just too few bytes.
      const end = Math.min(start + 20_000, layer.bytes.length);
      res.writeHead(start ? 206 : 200, start ? { 'content-range': `bytes ${start}-${layer.bytes.length - 1}/${layer.bytes.length}` } : {});
      res.end(layer.bytes.subarray(start, end));
    };
    const store = new MemoryBlobStore();
    await new RegistryClient({ ...fast, maxRetries: 5 }).fetchBlob(registry, 'team/app', layer.descriptor, store);
    expect(requests.map((r) => r.range)).toEqual([undefined, 'bytes=20000-', 'bytes=40000-', 'bytes=60000-']);
    expect(await store.has(layer.descriptor.digest)).toBe(true);
  });

  it('is cancelled by its signal, keeping what arrived for a resume', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': String(layer.bytes.length) });
      res.write(layer.bytes.subarray(0, 1000)); // then stall
    };
    const controller = new AbortController();
    const store = new MemoryBlobStore();
    const error = await new RegistryClient(fast)
      .fetchBlob(registry, 'team/app', layer.descriptor, store, { signal: controller.signal, onProgress: () => controller.abort() })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CANCELLED' });
    expect(store.partial.get(layer.descriptor.digest)?.length).toBe(1000);
  });
});
