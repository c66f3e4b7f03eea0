import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from './client';
import { hostPlatform, MediaType } from '@c/image';
import type { PullProgress } from './pull';
import { blob, image, index, type Blob } from './test-support/fixtures';
import { MemoryBlobStore } from './test-support/memory-store';
import { offlineWithNock } from './test-support/nock';

const REG = 'https://registry.example.com';
const ref = { registry: 'registry.example.com', repository: 'library/multi', tag: 'latest' };
const fast = { retryBaseDelayMs: 1, maxRetries: 1 };

offlineWithNock();

const amd64 = image(['amd64 layer one', 'amd64 layer two'], 'amd64');
const arm64 = image(['arm64 layer one', 'arm64 layer two', 'arm64 layer three'], 'arm64');
const multi = index([
  { image: amd64, os: 'linux', architecture: 'amd64' },
  { image: arm64, os: 'linux', architecture: 'arm64', variant: 'v8' },
]);

function serveManifest(tagOrDigest: string, b: Blob, head = false): void {
  const scope = nock(REG);
  if (head) {
    scope.head(`/v2/library/multi/manifests/${tagOrDigest}`).reply(200, '', {
      'content-type': b.descriptor.mediaType,
      'docker-content-digest': b.descriptor.digest,
      'content-length': String(b.bytes.length),
    });
  } else {
    scope.get(`/v2/library/multi/manifests/${tagOrDigest}`).reply(200, b.bytes, { 'content-type': b.descriptor.mediaType });
  }
}

function serveBlob(b: Blob): void {
  nock(REG).get(`/v2/library/multi/blobs/${b.descriptor.digest}`).reply(200, b.bytes);
}

/**
 * A sink over `store` on a slow disk: the manifest's commit lasts until `order` holds `awaited` (at most 10 s), then
 * logs "manifest committed" in `order`; every other blob logs "ingest NAME" when its ingest opens. Held on that
 * condition, not for a fixed time: a loaded machine that stalls the process past a fixed 150 ms fired the commit
 * first (a 200 ms stall failed the test every time). A pull that made `awaited` wait for the manifest still fails,
 * 10 s late.
 */
function slowManifestSink(store: MemoryBlobStore, manifestDigest: string, order: string[], nameOf: (digest: string) => string, awaited: string) {
  return {
    has: (digest: string) => store.has(digest),
    ingest: async (digest: string, size: number) => {
      const ingest = await store.ingest(digest, size);
      if (digest !== manifestDigest) {
        order.push(`ingest ${nameOf(digest)}`);
        return ingest;
      }
      return {
        ...ingest,
        offset: ingest.offset,
        write: (chunk: Uint8Array) => ingest.write(chunk),
        commit: async () => {
          for (const deadline = Date.now() + 10_000; !order.includes(awaited) && Date.now() < deadline; ) {
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
          await ingest.commit();
          order.push('manifest committed');
        },
      };
    },
  };
}

describe('pull', () => {
  it('picks the requested platform from an index and stores index, manifest, config and layers', async () => {
    nock(REG).get('/v2/').reply(200, {});
    serveManifest('latest', multi, true);
    serveManifest(multi.descriptor.digest, multi);
    serveManifest(arm64.manifest.descriptor.digest, arm64.manifest);
    serveBlob(arm64.config);
    for (const l of arm64.layers) serveBlob(l);
    const store = new MemoryBlobStore();
    const events: PullProgress[] = [];
    const pulled = await new RegistryClient(fast).pull(ref, store, { platform: { os: 'linux', architecture: 'arm64' }, onProgress: (e) => events.push(e) });

    expect(pulled.indexDigest).toBe(multi.descriptor.digest);
    expect(pulled.manifestDigest).toBe(arm64.manifest.descriptor.digest);
    expect(pulled.manifestMediaType).toBe(MediaType.OciManifest);
    expect(pulled.configDigest).toBe(arm64.config.descriptor.digest);
    expect(Buffer.from(pulled.config).equals(arm64.config.bytes)).toBe(true);
    expect(pulled.layers).toEqual(arm64.layers.map((l) => l.descriptor));
    const stored = [multi, arm64.manifest, arm64.config, ...arm64.layers].map((b) => b.descriptor.digest);
    expect(new Set(store.blobs.keys())).toEqual(new Set(stored));

    const first = arm64.layers[0]!.descriptor;
    const mine = events.filter((e) => e.digest === first.digest).map((e) => e.status);
    expect(mine[0]).toBe('waiting');
    expect(mine).toContain('downloading');
    expect(mine).toContain('verifying');
    expect(mine.at(-1)).toBe('done');
    expect(events.find((e) => e.digest === first.digest)?.id).toBe(first.digest.slice(7, 19));
  });

  it('defaults to the host platform', async () => {
    const host = hostPlatform();
    const hostImage = image([`layer for ${host.architecture}`], host.architecture);
    const other = image(['other'], 'mips64le');
    const idx = index([
      { image: other, os: 'linux', architecture: 'mips64le' },
      { image: hostImage, os: host.os, architecture: host.architecture, variant: host.variant },
    ]);
    nock(REG).get('/v2/').reply(200, {});
    serveManifest('latest', idx, true);
    serveManifest(idx.descriptor.digest, idx);
    serveManifest(hostImage.manifest.descriptor.digest, hostImage.manifest);
    serveBlob(hostImage.config);
    serveBlob(hostImage.layers[0]!);
    const pulled = await new RegistryClient(fast).pull(ref, new MemoryBlobStore());
    expect(pulled.manifestDigest).toBe(hostImage.manifest.descriptor.digest);
  });

  it('skips blobs the sink already holds and reports them as exists', async () => {
    const store = new MemoryBlobStore();
    store.put(amd64.layers[0]!.bytes);
    nock(REG).get('/v2/').reply(200, {});
    serveManifest('latest', amd64.manifest, true);
    serveManifest(amd64.manifest.descriptor.digest, amd64.manifest);
    serveBlob(amd64.config);
    serveBlob(amd64.layers[1]!); // only the missing layer is fetched
    const events: PullProgress[] = [];
    const pulled = await new RegistryClient(fast).pull(ref, store, { onProgress: (e) => events.push(e) });
    expect(pulled.indexDigest).toBeUndefined();
    expect(events.filter((e) => e.digest === amd64.layers[0]!.descriptor.digest).map((e) => e.status)).toEqual(['waiting', 'exists']);
  });

  it('asks the sink about every blob of the image before it stores any (one lease for a leasing sink)', async () => {
    nock(REG).get('/v2/').reply(200, {});
    serveManifest('latest', multi, true);
    serveManifest(multi.descriptor.digest, multi);
    serveManifest(arm64.manifest.descriptor.digest, arm64.manifest);
    serveBlob(arm64.config);
    for (const l of arm64.layers) serveBlob(l);
    const store = new MemoryBlobStore();
    const calls: string[] = [];
    const sink = {
      has: (digest: string) => {
        calls.push(`has ${digest}`);
        return store.has(digest);
      },
      ingest: (digest: string, size: number) => {
        calls.push(`ingest ${digest}`);
        return store.ingest(digest, size);
      },
    };
    await new RegistryClient(fast).pull(ref, sink, { platform: { os: 'linux', architecture: 'arm64' } });
    const all = [multi, arm64.manifest, arm64.config, ...arm64.layers].map((b) => `has ${b.descriptor.digest}`);
    expect(calls.slice(0, all.length)).toEqual(all);
    expect(calls.filter((call) => call.startsWith('ingest'))).toHaveLength(all.length);
  });

  it('starts the layers without waiting for the manifest to be stored, and still announces the manifest before the config', async () => {
    nock(REG).get('/v2/').reply(200, {});
    serveManifest('latest', amd64.manifest, true);
    serveManifest(amd64.manifest.descriptor.digest, amd64.manifest);
    serveBlob(amd64.config);
    for (const l of amd64.layers) serveBlob(l);
    const store = new MemoryBlobStore();
    const order: string[] = [];
    const manifestDigest = amd64.manifest.descriptor.digest;
    const sink = slowManifestSink(store, manifestDigest, order, (digest) => (digest === amd64.config.descriptor.digest ? 'config' : 'layer'), 'ingest layer');
    const events: PullProgress[] = [];
    await new RegistryClient(fast).pull(ref, sink, { platform: { os: 'linux', architecture: 'amd64' }, onProgress: (e) => events.push(e) });
    expect(order.indexOf('ingest layer')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('ingest layer')).toBeLessThan(order.indexOf('manifest committed'));
    expect(order.indexOf('manifest committed')).toBeLessThan(order.indexOf('ingest config'));
    const kinds = events.filter((e) => e.status === 'done' && e.kind !== 'layer').map((e) => e.kind);
    expect(kinds).toEqual(['manifest', 'config']);
    expect(await store.has(manifestDigest)).toBe(true);
  });

  it('gives the config\'s download slot back once its bytes are in, not after the manifest and config are stored', async () => {
    nock(REG).get('/v2/').reply(200, {});
    serveManifest('latest', amd64.manifest, true);
    serveManifest(amd64.manifest.descriptor.digest, amd64.manifest);
    serveBlob(amd64.config);
    // Layer 1 is slow to answer, so layer 2 can only have the slot the config used.
    nock(REG).get(`/v2/library/multi/blobs/${amd64.layers[0]!.descriptor.digest}`).delay(400).reply(200, amd64.layers[0]!.bytes);
    serveBlob(amd64.layers[1]!);
    const store = new MemoryBlobStore();
    const order: string[] = [];
    const manifestDigest = amd64.manifest.descriptor.digest;
    const names = new Map(amd64.layers.map((l, i) => [l.descriptor.digest, `layer ${i + 1}`]));
    // The manifest's slow commit is what the config's store waits for.
    const sink = slowManifestSink(store, manifestDigest, order, (digest) => names.get(digest) ?? 'config', 'ingest layer 2');
    // Two slots: the config and layer 1 first; layer 2 must not wait for the manifest's slow commit and the config's store.
    await new RegistryClient({ ...fast, concurrency: 2 }).pull(ref, sink, { platform: { os: 'linux', architecture: 'amd64' } });
    expect(order.indexOf('ingest layer 2')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('ingest layer 2')).toBeLessThan(order.indexOf('manifest committed'));
    expect(order.indexOf('manifest committed')).toBeLessThan(order.indexOf('ingest config'));
    expect(await store.has(amd64.config.descriptor.digest)).toBe(true);
  });

  it('falls back to GET by tag when the HEAD digest header is wrong', async () => {
    const wrong = `sha256:${'e'.repeat(64)}`;
    nock(REG).get('/v2/').reply(200, {});
    nock(REG).head('/v2/library/multi/manifests/latest').reply(200, '', {
      'content-type': amd64.manifest.descriptor.mediaType,
      'docker-content-digest': wrong,
      'content-length': String(amd64.manifest.bytes.length),
    });
    nock(REG).get(`/v2/library/multi/manifests/${wrong}`).reply(404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] });
    serveManifest('latest', amd64.manifest);
    serveBlob(amd64.config);
    for (const l of amd64.layers) serveBlob(l);
    const pulled = await new RegistryClient(fast).pull(ref, new MemoryBlobStore());
    expect(pulled.manifestDigest).toBe(amd64.manifest.descriptor.digest);
  });

  it('fails with NOT_FOUND listing the platforms an index offers', async () => {
    nock(REG).get('/v2/').reply(200, {});
    serveManifest('latest', multi, true);
    serveManifest(multi.descriptor.digest, multi);
    const error = await new RegistryClient(fast).pull(ref, new MemoryBlobStore(), { platform: { os: 'linux', architecture: 's390x' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'registry.example.com/library/multi:latest: no manifest for platform linux/s390x in the image index; it has linux/amd64, linux/arm64/v8',
    });
  });

  it('refuses a config with more map entries than @c/image accepts, storing nothing of it (decision 0017)', async () => {
    const labels = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`l${i}`, '']));
    const config = blob(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: labels }, rootfs: { type: 'layers', diff_ids: [] } }), MediaType.OciConfig);
    const manifest = blob(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: config.descriptor, layers: [] }), MediaType.OciManifest);
    nock(REG).get('/v2/').reply(200, {});
    serveManifest('latest', manifest, true);
    serveManifest(manifest.descriptor.digest, manifest);
    serveBlob(config);
    const store = new MemoryBlobStore();
    const error = await new RegistryClient(fast).pull(ref, store, { platform: { os: 'linux', architecture: 'amd64' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringContaining('config.Labels: 10001 entries, more than the 10000 accepted') });
    expect(await store.has(config.descriptor.digest)).toBe(false);
  });

  it('rejects a layer the registry serves with the wrong content, leaving nothing stored for it', async () => {
    nock(REG).get('/v2/').reply(200, {});
    serveManifest('latest', amd64.manifest, true);
    serveManifest(amd64.manifest.descriptor.digest, amd64.manifest);
    serveBlob(amd64.config);
    serveBlob(amd64.layers[0]!);
    nock(REG).get(`/v2/library/multi/blobs/${amd64.layers[1]!.descriptor.digest}`).reply(200, Buffer.alloc(amd64.layers[1]!.bytes.length, 0x41));
    const store = new MemoryBlobStore();
    await expect(new RegistryClient(fast).pull(ref, store, { platform: { os: 'linux', architecture: 'amd64' } })).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    expect(await store.has(amd64.layers[1]!.descriptor.digest)).toBe(false);
  });
});

describe('pull concurrency', () => {
  let server: Server;
  let registry: string;
  let inFlight = 0;
  let maxInFlight = 0;
  const big = image(Array.from({ length: 7 }, (_, i) => `layer ${i} `.repeat(1000)));
  const blobs = new Map([big.config, ...big.layers].map((b) => [b.descriptor.digest, b]));

  beforeAll(async () => {
    nock.enableNetConnect('127.0.0.1');
    server = createServer((req, res) => {
      const url = req.url ?? '';
      if (url === '/v2/') return void res.end('{}');
      if (url.includes('/manifests/')) {
        res.writeHead(200, { 'content-type': MediaType.OciManifest, 'docker-content-digest': big.manifest.descriptor.digest, 'content-length': String(big.manifest.bytes.length) });
        return void res.end(req.method === 'HEAD' ? undefined : big.manifest.bytes);
      }
      const b = blobs.get(url.split('/blobs/')[1] ?? '');
      if (!b) return void res.writeHead(404).end();
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end(b.bytes);
      }, 40);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    registry = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    nock.disableNetConnect();
  });

  it.each([1, 3])('downloads at most %i layers at once', async (concurrency) => {
    maxInFlight = 0;
    const client = new RegistryClient({ ...fast, concurrency });
    const store = new MemoryBlobStore();
    await client.pull({ registry, repository: 'x/y', tag: 't' }, store);
    expect(maxInFlight).toBe(concurrency);
    expect(store.blobs.size).toBe(9);
    client.close();
  });
});

describe('pull failure', () => {
  let server: Server;
  let registry: string;
  const img = image(['missing layer', 'x'.repeat(50_000)]);
  const [missing, slow] = img.layers as [Blob, Blob];
  let slowSent: () => void = () => {};
  const slowInFlight = new Promise<void>((resolve) => (slowSent = resolve));

  beforeAll(async () => {
    nock.enableNetConnect('127.0.0.1');
    server = createServer((req, res) => {
      const url = req.url ?? '';
      if (url === '/v2/') return void res.end('{}');
      if (url.includes('/manifests/')) {
        res.writeHead(200, { 'content-type': MediaType.OciManifest, 'docker-content-digest': img.manifest.descriptor.digest, 'content-length': String(img.manifest.bytes.length) });
        return void res.end(req.method === 'HEAD' ? undefined : img.manifest.bytes);
      }
      if (url.endsWith(img.config.descriptor.digest)) return void res.end(img.config.bytes);
      if (url.endsWith(slow.descriptor.digest)) {
        res.writeHead(200, { 'content-length': String(slow.bytes.length) });
        return void res.write(slow.bytes.subarray(0, 20_000), () => slowSent()); // then stall
      }
      // The missing layer: answer only once the slow one is surely in flight.
      void slowInFlight.then(() =>
        setTimeout(() => res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}'), 100),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    registry = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    nock.disableNetConnect();
  });

  it('cancels the other downloads when one layer fails, keeping their partial data', async () => {
    const store = new MemoryBlobStore();
    const started = Date.now();
    const error = await new RegistryClient({ ...fast, concurrency: 2 }).pull({ registry, repository: 'x/y', tag: 't' }, store).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(missing.descriptor.digest) });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(store.partial.get(slow.descriptor.digest)?.length).toBe(20_000);
  });
});
