import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { RegistryClient } from './client';
import type { PushProgress } from './push';
import { image, index, type TestImage } from './test-support/fixtures';
import { MemoryBlobStore } from './test-support/memory-store';
import { offlineWithNock } from './test-support/nock';

const REG = 'https://registry.example.com';
const ref = { registry: 'registry.example.com', repository: 'team/app', tag: 'v1' };
const fast = { retryBaseDelayMs: 1, maxRetries: 1 };

offlineWithNock();

function storeWith(...images: TestImage[]): MemoryBlobStore {
  const store = new MemoryBlobStore();
  for (const img of images) for (const b of [img.config, img.manifest, ...img.layers]) store.put(b.bytes);
  return store;
}

const headMissing = (digest: string) => nock(REG).head(`/v2/team/app/blobs/${digest}`).reply(404);

describe('push', () => {
  it('mounts (201), continues a 202 mount as an upload, uploads the config, then PUTs the manifest byte-exact', async () => {
    const img = image(['layer-one', 'layer-two']);
    const [one, two] = img.layers as [(typeof img.layers)[0], (typeof img.layers)[0]];
    const order: string[] = [];
    nock(REG).get('/v2/').reply(401, '', { 'www-authenticate': 'Bearer realm="https://auth.example.com/token",service="reg"' });
    nock('https://auth.example.com')
      .get('/token')
      .query({ service: 'reg', scope: 'repository:team/app:pull,push' })
      .reply(200, { token: 'push-token' });
    nock('https://auth.example.com')
      .get('/token')
      .query((q) => JSON.stringify(q.scope) === JSON.stringify(['repository:library/base:pull', 'repository:team/app:pull,push']))
      .reply(200, { token: 'mount-token' });
    headMissing(one.descriptor.digest);
    headMissing(two.descriptor.digest);
    headMissing(img.config.descriptor.digest);
    nock(REG)
      .post('/v2/team/app/blobs/uploads/')
      .query({ mount: one.descriptor.digest, from: 'library/base' })
      .matchHeader('authorization', 'Bearer mount-token')
      .reply(201, '', { location: `/v2/team/app/blobs/${one.descriptor.digest}` });
    nock(REG)
      .post('/v2/team/app/blobs/uploads/')
      .query({ mount: two.descriptor.digest, from: 'library/base' })
      .reply(202, '', { location: '/v2/team/app/blobs/uploads/session-two?_state=opaque%3D%3D' });
    nock(REG)
      .put('/v2/team/app/blobs/uploads/session-two')
      .query({ _state: 'opaque==', digest: two.descriptor.digest })
      .matchHeader('content-type', 'application/octet-stream')
      .reply(201, (_uri, body) => {
        order.push(`blob ${body}`);
        return '';
      });
    nock(REG)
      .post('/v2/team/app/blobs/uploads/')
      .query({ mount: img.config.descriptor.digest, from: 'library/base' })
      .reply(202, '', { location: `${REG}/v2/team/app/blobs/uploads/session-config` });
    nock(REG)
      .put('/v2/team/app/blobs/uploads/session-config')
      .query({ digest: img.config.descriptor.digest })
      .reply(201, () => {
        order.push('config');
        return '';
      });
    nock(REG)
      .put('/v2/team/app/manifests/v1')
      .matchHeader('content-type', 'application/vnd.oci.image.manifest.v1+json')
      .matchHeader('authorization', 'Bearer push-token')
      .reply(201, (_uri, body) => {
        order.push('manifest');
        expect(body).toBe(img.manifest.bytes.toString('utf8'));
        return '';
      });
    const events: PushProgress[] = [];
    const digest = await new RegistryClient(fast).push(ref, storeWith(img), img.manifest.descriptor, {
      mountFrom: ['library/base'],
      onProgress: (e) => events.push(e),
    });
    expect(digest).toBe(img.manifest.descriptor.digest);
    expect(order).toEqual(['blob layer-two', 'config', 'manifest']);
    expect(events.filter((e) => e.digest === one.descriptor.digest).map((e) => e.status)).toEqual(['waiting', 'mounted']);
    expect(events.filter((e) => e.digest === two.descriptor.digest).map((e) => e.status)).toEqual(['waiting', 'pushing', 'pushed']);
  });

  it('skips blobs the registry already has', async () => {
    const img = image(['present']);
    nock(REG).get('/v2/').reply(200, {});
    nock(REG).head(`/v2/team/app/blobs/${img.layers[0]!.descriptor.digest}`).reply(200);
    nock(REG).head(`/v2/team/app/blobs/${img.config.descriptor.digest}`).reply(200);
    nock(REG).put('/v2/team/app/manifests/v1').reply(201);
    const events: PushProgress[] = [];
    await new RegistryClient(fast).push(ref, storeWith(img), img.manifest.descriptor, { onProgress: (e) => events.push(e) });
    expect(events.filter((e) => e.status === 'exists').map((e) => e.kind)).toEqual(['layer', 'config']);
  });

  it('uploads in chunks with Content-Range, following each new Location, then PUTs ?digest=', async () => {
    const content = 'x'.repeat(10_000) + 'y'.repeat(10_000) + 'z'.repeat(5_000);
    const img = image([content]);
    const layer = img.layers[0]!;
    nock(REG).get('/v2/').reply(200, {});
    headMissing(layer.descriptor.digest);
    nock(REG).post('/v2/team/app/blobs/uploads/').reply(202, '', { location: '/upload/1' });
    const ranges: string[] = [];
    for (const [i, [from, to]] of [[0, 9999], [10000, 19999], [20000, 24999]].entries()) {
      nock(REG)
        .patch(`/upload/${i + 1}`, (body: string) => body === content.slice(from, to! + 1))
        .matchHeader('content-range', `${from}-${to}`)
        .matchHeader('content-type', 'application/octet-stream')
        .reply(202, (_uri, _body) => {
          ranges.push(`${from}-${to}`);
          return '';
        }, { location: `/upload/${i + 2}`, range: `0-${to}` });
    }
    nock(REG).put('/upload/4').query({ digest: layer.descriptor.digest }).reply(201);
    headMissing(img.config.descriptor.digest);
    nock(REG).post('/v2/team/app/blobs/uploads/').reply(202, '', { location: '/upload/config' });
    nock(REG).put('/upload/config').query({ digest: img.config.descriptor.digest }).reply(201);
    nock(REG).put('/v2/team/app/manifests/v1').reply(201);
    await new RegistryClient(fast).push(ref, storeWith(img), img.manifest.descriptor, { chunkedThreshold: 20_000, chunkSize: 10_000 });
    expect(ranges).toEqual(['0-9999', '10000-19999', '20000-24999']);
  });

  it('after a chunk fails midway, asks the upload status and sends only the missing bytes', async () => {
    const content = 'a'.repeat(10_000) + 'b'.repeat(6_000);
    const img = image([content]);
    const layer = img.layers[0]!;
    nock(REG).get('/v2/').reply(200, {});
    headMissing(layer.descriptor.digest);
    nock(REG).post('/v2/team/app/blobs/uploads/').reply(202, '', { location: '/upload/1' });
    nock(REG).patch('/upload/1').matchHeader('content-range', '0-9999').replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    // The server got the first 4000 bytes before the connection broke.
    nock(REG).get('/upload/1').reply(204, '', { range: '0-3999', location: '/upload/1b' });
    nock(REG)
      .patch('/upload/1b', (body: string) => body === content.slice(4000, 10_000))
      .matchHeader('content-range', '4000-9999')
      .reply(202, '', { location: '/upload/2' });
    nock(REG)
      .patch('/upload/2', (body: string) => body === content.slice(10_000))
      .matchHeader('content-range', '10000-15999')
      .reply(202, '', { location: '/upload/3' });
    nock(REG).put('/upload/3').query({ digest: layer.descriptor.digest }).reply(201);
    headMissing(img.config.descriptor.digest);
    nock(REG).post('/v2/team/app/blobs/uploads/').reply(202, '', { location: '/upload/config' });
    nock(REG).put('/upload/config').query(true).reply(201);
    nock(REG).put('/v2/team/app/manifests/v1').reply(201);
    await new RegistryClient(fast).push(ref, storeWith(img), img.manifest.descriptor, { chunkedThreshold: 10_000, chunkSize: 10_000 });
  });

  it('uses a single POST with ?digest= when asked, and PUTs when the registry opens a session instead', async () => {
    const img = image(['single-post']);
    nock(REG).get('/v2/').reply(200, {});
    headMissing(img.layers[0]!.descriptor.digest);
    nock(REG).post('/v2/team/app/blobs/uploads/', 'single-post').query({ digest: img.layers[0]!.descriptor.digest }).reply(201);
    headMissing(img.config.descriptor.digest);
    nock(REG).post('/v2/team/app/blobs/uploads/').query({ digest: img.config.descriptor.digest }).reply(202, '', { location: '/upload/c' });
    nock(REG).put('/upload/c', img.config.bytes.toString()).query({ digest: img.config.descriptor.digest }).reply(201);
    nock(REG).put('/v2/team/app/manifests/v1').reply(201);
    await new RegistryClient(fast).push(ref, storeWith(img), img.manifest.descriptor, { uploadMethod: 'post' });
  });

  it('pushes every child manifest by digest before the index under its tag', async () => {
    const a = image(['a-layer'], 'amd64');
    const b = image(['b-layer'], 'arm64');
    const idx = index([
      { image: a, os: 'linux', architecture: 'amd64' },
      { image: b, os: 'linux', architecture: 'arm64' },
    ]);
    const store = storeWith(a, b);
    store.put(idx.bytes);
    const puts: string[] = [];
    nock(REG).get('/v2/').reply(200, {});
    nock(REG).head(/\/v2\/team\/app\/blobs\/sha256:.*/).times(4).reply(200);
    nock(REG)
      .put(/\/v2\/team\/app\/manifests\/.*/)
      .times(3)
      .reply(201, (uri, _body) => {
        puts.push(uri.split('/manifests/')[1]!);
        return '';
      });
    const digest = await new RegistryClient(fast).push(ref, store, idx.descriptor);
    expect(digest).toBe(idx.descriptor.digest);
    expect(puts).toEqual([a.manifest.descriptor.digest, b.manifest.descriptor.digest, 'v1']);
  });

  it('pushes an index whose other platforms the local store lacks only when the registry has them', async () => {
    const a = image(['a-layer'], 'amd64');
    const b = image(['b-layer'], 'arm64');
    const idx = index([
      { image: a, os: 'linux', architecture: 'amd64' },
      { image: b, os: 'linux', architecture: 'arm64' },
    ]);
    const store = storeWith(a); // only amd64 was pulled
    store.put(idx.bytes);
    nock(REG).get('/v2/').reply(200, {});
    nock(REG).head(/\/v2\/team\/app\/blobs\/sha256:.*/).times(2).reply(200);
    nock(REG).put(`/v2/team/app/manifests/${a.manifest.descriptor.digest}`).reply(201);
    nock(REG).head(`/v2/team/app/manifests/${b.manifest.descriptor.digest}`).reply(200);
    nock(REG).put('/v2/team/app/manifests/v1').reply(201);
    const client = new RegistryClient(fast);
    await client.push(ref, store, idx.descriptor);

    nock(REG).head(/\/v2\/other\/app\/blobs\/sha256:.*/).times(2).reply(200);
    nock(REG).put(`/v2/other/app/manifests/${a.manifest.descriptor.digest}`).reply(201);
    nock(REG).head(`/v2/other/app/manifests/${b.manifest.descriptor.digest}`).reply(404);
    const error = await client.push({ ...ref, repository: 'other/app' }, store, idx.descriptor).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(`${b.manifest.descriptor.digest} (linux/arm64)`) });
  });

  it('maps a refused manifest PUT to a typed error naming the repository', async () => {
    const img = image(['l']);
    nock(REG).get('/v2/').reply(200, {});
    nock(REG).head(/\/v2\/team\/app\/blobs\/.*/).times(2).reply(200);
    nock(REG).put('/v2/team/app/manifests/v1').reply(400, { errors: [{ code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry' }] });
    const error = await new RegistryClient(fast).push(ref, storeWith(img), img.manifest.descriptor).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('registry.example.com/team/app') });
  });

  it('refuses to push local content whose digest does not match', async () => {
    const img = image(['l']);
    const store = storeWith(img);
    store.blobs.set(img.manifest.descriptor.digest, new Uint8Array(Buffer.from('{"tampered":true}')));
    await expect(new RegistryClient(fast).push(ref, store, img.manifest.descriptor)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });
});

describe('push to an upload location on another origin', () => {
  it('never sends the registry token to it (other host, or same host on another port or scheme)', async () => {
    const img = image(['layer']);
    const layer = img.layers[0]!;
    const seen: Array<string | undefined> = [];
    const record = function (this: { req: { headers: Record<string, string | undefined> } }) {
      seen.push(this.req.headers.authorization);
      return '';
    };
    nock(REG).get('/v2/').reply(401, '', { 'www-authenticate': 'Bearer realm="https://auth.example.com/token",service="reg"' });
    nock('https://auth.example.com').get('/token').query(true).reply(200, { token: 'secret-token' }).persist();
    headMissing(layer.descriptor.digest);
    headMissing(img.config.descriptor.digest);
    nock(REG).post('/v2/team/app/blobs/uploads/').matchHeader('authorization', 'Bearer secret-token').reply(202, '', { location: 'https://storage.example.net/up/1' });
    nock('https://storage.example.net').put('/up/1').query(true).reply(201, record);
    nock(REG).post('/v2/team/app/blobs/uploads/').reply(202, '', { location: 'http://registry.example.com:8080/up/2' });
    nock('http://registry.example.com:8080').put('/up/2').query(true).reply(201, record);
    nock(REG).put('/v2/team/app/manifests/v1').matchHeader('authorization', 'Bearer secret-token').reply(201);
    await new RegistryClient(fast).push(ref, storeWith(img), img.manifest.descriptor);
    nock.cleanAll();
    expect(seen).toEqual([undefined, undefined]);
  });
});
