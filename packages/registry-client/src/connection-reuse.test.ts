/**
 * Against a real HTTP server on loopback (not nock): one client keeps its connections alive, so the requests
 * of a pull (ping, HEAD and GET of the manifest, config, layers) share sockets instead of opening one each.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseReference } from '@c/image';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryClient } from './client';
import { image, type TestImage } from './test-support/fixtures';
import { MemoryBlobStore } from './test-support/memory-store';

interface Served {
  port: number;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

/** A minimal registry serving one image as `repo:latest`, counting TCP connections and requests. */
async function serve(served: TestImage): Promise<Served> {
  const blobs = new Map([served.config, ...served.layers].map((b) => [b.descriptor.digest, b.bytes]));
  const state = { connections: 0, requests: [] as string[] };
  const server = http.createServer((req, res) => {
    state.requests.push(`${req.method} ${req.url}`);
    const url = req.url ?? '';
    if (url === '/v2/') return res.writeHead(200, { 'content-length': '2' }).end('{}');
    if (url.startsWith('/v2/repo/manifests/')) {
      const bytes = served.manifest.bytes;
      res.writeHead(200, {
        'content-type': served.manifest.descriptor.mediaType,
        'content-length': String(bytes.length),
        'docker-content-digest': served.manifest.descriptor.digest,
      });
      return res.end(req.method === 'HEAD' ? undefined : bytes);
    }
    const blob = blobs.get(url.split('/blobs/')[1] ?? '');
    if (blob) return res.writeHead(200, { 'content-length': String(blob.length) }).end(blob);
    res.writeHead(404, { 'content-length': '0' }).end();
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return state.connections;
    },
    requests: state.requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let opened: Served | undefined;
let client: RegistryClient | undefined;
afterEach(async () => {
  client?.close();
  await opened?.close();
  opened = undefined;
  client = undefined;
});

describe('connection reuse', () => {
  it('serves the five requests of a one-layer pull over one TCP connection (one download at a time)', async () => {
    const served = image(['layer-one'.repeat(1000)]);
    opened = await serve(served);
    client = new RegistryClient({ concurrency: 1 });
    const sink = new MemoryBlobStore();
    await client.pull(parseReference(`127.0.0.1:${opened.port}/repo:latest`), sink);
    expect(opened.requests.map((request) => request.split(' ')[0])).toEqual(['GET', 'HEAD', 'GET', 'GET', 'GET']);
    expect(opened.connections).toBe(1);
    expect(await sink.has(served.layers[0]!.descriptor.digest)).toBe(true);
  });

  it('opens no more connections than blobs downloaded at once, and reuses them for a second pull', async () => {
    const served = image(['a'.repeat(50_000), 'b'.repeat(50_000), 'c'.repeat(50_000), 'd'.repeat(50_000), 'e'.repeat(50_000)]);
    opened = await serve(served);
    client = new RegistryClient({ concurrency: 3 });
    await client.pull(parseReference(`127.0.0.1:${opened.port}/repo:latest`), new MemoryBlobStore());
    expect(opened.connections).toBeGreaterThanOrEqual(1);
    expect(opened.connections).toBeLessThanOrEqual(3);
    const afterFirst = opened.connections;
    await client.pull(parseReference(`127.0.0.1:${opened.port}/repo:latest`), new MemoryBlobStore());
    expect(opened.connections).toBe(afterFirst);
  });
});
