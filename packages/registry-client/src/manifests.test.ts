import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from './client';
import { MediaType } from '@c/image';
import { image } from './test-support/fixtures';
import { offlineWithNock } from './test-support/nock';

const REG = 'https://registry.example.com';
const ref = (tag: string) => ({ registry: 'registry.example.com', repository: 'library/busybox', tag });
const fast = { retryBaseDelayMs: 1, maxRetries: 2 };

offlineWithNock();

function openRegistry(): nock.Scope {
  return nock(REG).get('/v2/').reply(200, {});
}

describe('resolve', () => {
  it('uses HEAD with the full Accept list and the digest header', async () => {
    const img = image(['layer']);
    openRegistry();
    nock(REG)
      .head('/v2/library/busybox/manifests/1.36')
      .matchHeader('accept', (v) =>
        [MediaType.OciIndex, MediaType.DockerManifestList, MediaType.OciManifest, MediaType.DockerManifest].every((t) => v.includes(t)),
      )
      .reply(200, '', {
        'content-type': MediaType.OciManifest,
        'docker-content-digest': img.manifest.descriptor.digest,
        'content-length': String(img.manifest.bytes.length),
      });
    const resolved = await new RegistryClient().resolve(ref('1.36'));
    expect(resolved.descriptor).toEqual(img.manifest.descriptor);
  });

  it('falls back to GET when HEAD lacks the digest, and computes the digest itself', async () => {
    const img = image(['layer']);
    openRegistry();
    nock(REG).head('/v2/library/busybox/manifests/1.36').reply(200, '', { 'content-type': MediaType.OciManifest, 'content-length': '10' });
    nock(REG)
      .get('/v2/library/busybox/manifests/1.36')
      // A wrong header digest must not be believed.
      .reply(200, img.manifest.bytes, { 'content-type': MediaType.OciManifest, 'docker-content-digest': `sha256:${'0'.repeat(64)}` });
    const resolved = await new RegistryClient().resolve(ref('1.36'));
    expect(resolved.descriptor).toEqual(img.manifest.descriptor);
  });
});

describe('resolve on Docker Hub names', () => {
  it('reports "manifest for busybox:nope not found: manifest unknown" as NOT_FOUND', async () => {
    nock('https://registry-1.docker.io').get('/v2/').reply(200, {});
    nock('https://registry-1.docker.io').head('/v2/library/busybox/manifests/nope').reply(404);
    const error = await new RegistryClient().resolve({ registry: 'docker.io', repository: 'library/busybox', tag: 'nope' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: 'manifest for busybox:nope not found: manifest unknown' });
  });
});

describe('fetchManifest', () => {
  it('verifies the digest of a manifest fetched by digest', async () => {
    const img = image(['layer']);
    const other = image(['other']);
    openRegistry();
    nock(REG).get(`/v2/library/busybox/manifests/${img.manifest.descriptor.digest}`).reply(200, other.manifest.bytes, { 'content-type': MediaType.OciManifest });
    const error = await new RegistryClient()
      .fetchManifest({ registry: 'registry.example.com', repository: 'library/busybox', digest: img.manifest.descriptor.digest })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('returns the exact bytes, their digest and media type', async () => {
    const img = image(['layer']);
    openRegistry();
    nock(REG).get('/v2/library/busybox/manifests/v1').reply(200, img.manifest.bytes, { 'content-type': `${MediaType.OciManifest}; charset=utf-8` });
    const fetched = await new RegistryClient().fetchManifest(ref('v1'));
    expect(Buffer.from(fetched.bytes).equals(img.manifest.bytes)).toBe(true);
    expect(fetched.digest).toBe(img.manifest.descriptor.digest);
    expect(fetched.mediaType).toBe(MediaType.OciManifest);
  });

  it('asks for latest without a tag, and by digest when a reference has both', async () => {
    const img = image(['layer']);
    openRegistry();
    nock(REG).get('/v2/library/busybox/manifests/latest').reply(200, img.manifest.bytes, { 'content-type': MediaType.OciManifest });
    nock(REG).get(`/v2/library/busybox/manifests/${img.manifest.descriptor.digest}`).reply(200, img.manifest.bytes, { 'content-type': MediaType.OciManifest });
    const client = new RegistryClient();
    await client.fetchManifest({ registry: 'registry.example.com', repository: 'library/busybox' });
    const byDigest = await client.fetchManifest({ ...ref('ignored'), digest: img.manifest.descriptor.digest });
    expect(byDigest.digest).toBe(img.manifest.descriptor.digest);
  });

  it('rejects an oversized manifest by Content-Length before reading it', async () => {
    openRegistry();
    nock(REG).get('/v2/library/busybox/manifests/big').reply(200, Buffer.alloc(2048, 0x20), { 'content-type': MediaType.OciManifest });
    const error = await new RegistryClient({ maxManifestBytes: 1024 }).fetchManifest(ref('big')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringContaining('1024-byte limit') });
  });

  it('rejects schema 1 manifests as UNSUPPORTED, by header or by content', async () => {
    openRegistry();
    const schema1 = JSON.stringify({ schemaVersion: 1, name: 'library/busybox', tag: 'old', fsLayers: [] });
    nock(REG).get('/v2/library/busybox/manifests/old').reply(200, schema1, { 'content-type': MediaType.DockerSchema1SignedManifest });
    nock(REG).get('/v2/library/busybox/manifests/old2').reply(200, schema1, { 'content-type': 'application/json' });
    const client = new RegistryClient();
    for (const tag of ['old', 'old2']) {
      const error = await client.fetchManifest(ref(tag)).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('schema 1') });
    }
  });

  it('maps MANIFEST_UNKNOWN from a GET body to NOT_FOUND with the registry message', async () => {
    openRegistry();
    nock(REG).get('/v2/library/busybox/manifests/gone').reply(404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'gone' } }] });
    const error = await new RegistryClient().fetchManifest(ref('gone')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: 'manifest for registry.example.com/library/busybox:gone not found: manifest unknown' });
  });

  it('maps DENIED to PERMISSION_DENIED', async () => {
    openRegistry();
    nock(REG).get('/v2/library/busybox/manifests/secret').reply(403, { errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] });
    const error = await new RegistryClient().fetchManifest(ref('secret')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('requested access to the resource is denied') });
  });
});

describe('retries', () => {
  it('honours Retry-After on 429, then succeeds', async () => {
    const manifest = image(['retry']).manifest;
    openRegistry();
    nock(REG).get('/v2/library/busybox/manifests/v1').reply(429, { errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }, { 'retry-after': '1' });
    nock(REG).get('/v2/library/busybox/manifests/v1').reply(200, manifest.bytes, { 'content-type': MediaType.OciManifest });
    const started = Date.now();
    const fetched = await new RegistryClient(fast).fetchManifest(ref('v1'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fetched.digest).toBe(manifest.descriptor.digest);
  });

  it('caps Retry-After given as an HTTP date', async () => {
    const manifest = image([]).manifest;
    openRegistry();
    nock(REG).get('/v2/library/busybox/manifests/v1').reply(503, '', { 'retry-after': new Date(Date.now() + 3600_000).toUTCString() });
    nock(REG).get('/v2/library/busybox/manifests/v1').reply(200, manifest.bytes, { 'content-type': MediaType.OciManifest });
    const started = Date.now();
    await new RegistryClient({ ...fast, maxRetryDelayMs: 50 }).fetchManifest(ref('v1'));
    // Uncapped would be an hour; 10 s leaves a loaded machine room (2 s was a 20x margin over the usual time).
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('retries 5xx and dropped connections, then succeeds', async () => {
    const manifest = image([]).manifest;
    openRegistry();
    nock(REG).get('/v2/library/busybox/manifests/v1').reply(502, 'bad gateway');
    nock(REG).get('/v2/library/busybox/manifests/v1').replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    nock(REG).get('/v2/library/busybox/manifests/v1').reply(200, manifest.bytes, { 'content-type': MediaType.OciManifest });
    const fetched = await new RegistryClient(fast).fetchManifest(ref('v1'));
    expect(fetched.digest).toBe(manifest.descriptor.digest);
  });

  it('gives up after maxRetries with UNAVAILABLE carrying the registry message', async () => {
    openRegistry();
    nock(REG).get('/v2/library/busybox/manifests/v1').times(3).reply(429, { errors: [{ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit' }] });
    const error = await new RegistryClient(fast).fetchManifest(ref('v1')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('pull rate limit') });
  });

  it('does not retry 4xx other than 408/429', async () => {
    openRegistry();
    nock(REG).get('/v2/library/busybox/manifests/v1').once().reply(400, { errors: [{ code: 'NAME_INVALID', message: 'invalid repository name' }] });
    await expect(new RegistryClient(fast).fetchManifest(ref('v1'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('connection failures', () => {
  // Below the ephemeral range: a port freed by a closed server could be taken by any other process's listen(0) before
  // the connect; nothing here listens on port 1 (the e2e suite uses it the same way).
  const port = 1;
  beforeAll(() => nock.enableNetConnect('127.0.0.1'));
  afterAll(() => nock.disableNetConnect());

  it('reports connection refused as UNAVAILABLE naming the registry, over plain HTTP for loopback', async () => {
    const client = new RegistryClient(fast);
    expect(client.baseUrl(`127.0.0.1:${port}`).href).toBe(`http://127.0.0.1:${port}/`);
    const error = await client.resolve({ registry: `127.0.0.1:${port}`, repository: 'x', tag: 'y' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'UNAVAILABLE',
      message: `cannot reach registry 127.0.0.1:${port} at http://127.0.0.1:${port}: connection refused`,
      hint: expect.stringContaining('running and reachable'),
    });
  });

  it('chooses HTTPS except for loopback and insecure registries', () => {
    const client = new RegistryClient({ insecureRegistries: ['myreg.lan:5000'] });
    expect(client.baseUrl('docker.io').href).toBe('https://registry-1.docker.io/');
    expect(client.baseUrl('localhost:5000').protocol).toBe('http:');
    expect(client.baseUrl('[::1]:5000').protocol).toBe('http:');
    expect(client.baseUrl('127.1.2.3').protocol).toBe('http:');
    expect(client.baseUrl('myreg.lan:5000').protocol).toBe('http:');
    expect(client.baseUrl('myreg.lan').protocol).toBe('https:');
    expect(client.baseUrl('127.example.com').protocol).toBe('https:');
  });
});
