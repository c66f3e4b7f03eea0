/**
 * Against the real CNCF distribution registry (Debian package docker-registry): push then pull back,
 * chunked uploads, cross-repo mounts, indexes, Range resume, basic auth.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient, StaticCredentials, type PushProgress } from '../src/index';
import { blob, image, index } from '../src/test-support/fixtures';
import { MemoryBlobStore } from '../src/test-support/memory-store';
import { htpasswdAvailable, registryAvailable, startRegistry, type LocalRegistry } from './local-registry';

if (!registryAvailable) console.warn('skipping registry integration tests: /usr/bin/docker-registry is missing (apt-get install docker-registry)');

function storeOf(...blobs: Array<{ bytes: Buffer }>): MemoryBlobStore {
  const store = new MemoryBlobStore();
  for (const b of blobs) store.put(b.bytes);
  return store;
}

describe.skipIf(!registryAvailable)('docker-registry (open)', () => {
  let registry: LocalRegistry;
  const client = new RegistryClient({ retryBaseDelayMs: 10 });
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    client.close();
    await registry?.stop();
  });

  const img = image([randomBytes(300_000), randomBytes(1000)]);
  const source = () => storeOf(img.config, img.manifest, ...img.layers);

  it('pushes an image and pulls back identical content', async () => {
    const ref = { registry: registry.host, repository: 'test/app', tag: 'v1' };
    const digest = await client.push(ref, source(), img.manifest.descriptor);
    expect(digest).toBe(img.manifest.descriptor.digest);

    const resolved = await client.resolve(ref);
    expect(resolved.descriptor).toEqual({ mediaType: img.manifest.descriptor.mediaType, digest, size: img.manifest.bytes.length });

    const sink = new MemoryBlobStore();
    const pulled = await client.pull(ref, sink);
    expect(pulled.manifestDigest).toBe(digest);
    for (const b of [img.config, img.manifest, ...img.layers]) {
      expect(Buffer.from(await sink.read(b.descriptor.digest)).equals(b.bytes)).toBe(true);
    }
  });

  it('uploads in chunks', async () => {
    const big = image([randomBytes(200_000)]);
    const ref = { registry: registry.host, repository: 'test/chunked', tag: 'c' };
    await client.push(ref, storeOf(big.config, big.manifest, ...big.layers), big.manifest.descriptor, { uploadMethod: 'chunked', chunkSize: 64 * 1024 });
    const sink = new MemoryBlobStore();
    await client.pull(ref, sink);
    expect(Buffer.from(await sink.read(big.layers[0]!.descriptor.digest)).equals(big.layers[0]!.bytes)).toBe(true);
  });

  it('uploads with a single POST, or the PUT it falls back to', async () => {
    const small = image([randomBytes(5000)]);
    const ref = { registry: registry.host, repository: 'test/post', tag: 'p' };
    await client.push(ref, storeOf(small.config, small.manifest, ...small.layers), small.manifest.descriptor, { uploadMethod: 'post' });
    expect((await client.resolve(ref)).descriptor.digest).toBe(small.manifest.descriptor.digest);
  });

  it('mounts blobs from another repository instead of uploading them', async () => {
    await client.push({ registry: registry.host, repository: 'test/base', tag: 'b' }, source(), img.manifest.descriptor);
    const events: PushProgress[] = [];
    await client.push({ registry: registry.host, repository: 'test/derived', tag: 'd' }, source(), img.manifest.descriptor, {
      mountFrom: ['test/base'],
      onProgress: (e) => events.push(e),
    });
    const statuses = events.filter((e) => e.kind === 'layer' || e.kind === 'config').map((e) => e.status).filter((s) => s !== 'waiting');
    expect(statuses).toEqual(['mounted', 'mounted', 'mounted']);
  });

  it('pushes an index and pulls the requested platform', async () => {
    const amd = image([randomBytes(1000)], 'amd64');
    const arm = image([randomBytes(1000)], 'arm64');
    const idx = index([
      { image: amd, os: 'linux', architecture: 'amd64' },
      { image: arm, os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]);
    const ref = { registry: registry.host, repository: 'test/multi', tag: 'm' };
    await client.push(ref, storeOf(amd.config, amd.manifest, ...amd.layers, arm.config, arm.manifest, ...arm.layers, idx), idx.descriptor);
    const pulled = await client.pull(ref, new MemoryBlobStore(), { platform: { os: 'linux', architecture: 'arm64' } });
    expect(pulled.indexDigest).toBe(idx.descriptor.digest);
    expect(pulled.manifestDigest).toBe(arm.manifest.descriptor.digest);
  });

  it('resumes a partial blob with Range', async () => {
    const ref = { registry: registry.host, repository: 'test/app', tag: 'v1' };
    await client.push(ref, source(), img.manifest.descriptor);
    const layer = img.layers[0]!;
    const sink = new MemoryBlobStore();
    sink.partial.set(layer.descriptor.digest, layer.bytes.subarray(0, 123_456));
    await client.fetchBlob(registry.host, 'test/app', layer.descriptor, sink);
    expect(Buffer.from(await sink.read(layer.descriptor.digest)).equals(layer.bytes)).toBe(true);
  });

  it('reports missing tags and blobs as NOT_FOUND', async () => {
    await expect(client.resolve({ registry: registry.host, repository: 'test/app', tag: 'nope' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `manifest for ${registry.host}/test/app:nope not found: manifest unknown`,
    });
    const missing = blob('never pushed');
    await expect(client.fetchBlob(registry.host, 'test/app', missing.descriptor, new MemoryBlobStore())).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe.skipIf(!registryAvailable || !htpasswdAvailable)('docker-registry (htpasswd)', () => {
  let registry: LocalRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ username: 'tester', password: 'testpass' });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('logs in with good credentials and refuses bad ones', async () => {
    const client = new RegistryClient();
    await client.login(registry.host, { username: 'tester', password: 'testpass' });
    await expect(client.login(registry.host, { username: 'tester', password: 'wrong' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    client.close();
  });

  it('pushes and pulls with Basic credentials; anonymous access is refused', async () => {
    const img = image([randomBytes(2000)]);
    const ref = { registry: registry.host, repository: 'private/app', tag: '1' };
    const client = new RegistryClient({ credentials: new StaticCredentials({ [registry.host]: { username: 'tester', password: 'testpass' } }) });
    await client.push(ref, storeOf(img.config, img.manifest, ...img.layers), img.manifest.descriptor);
    const pulled = await client.pull(ref, new MemoryBlobStore());
    expect(pulled.manifestDigest).toBe(img.manifest.descriptor.digest);
    client.close();
    const anonymous = new RegistryClient({ maxRetries: 0 });
    await expect(anonymous.resolve(ref)).rejects.toMatchObject({ code: 'UNAUTHORIZED', hint: expect.stringContaining(`c login ${registry.host}`) });
    anonymous.close();
  });
});
