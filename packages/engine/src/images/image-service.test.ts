import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { MAX_MAP_ENTRIES, parseReference } from '@c/image';
import { ImageService, normalizeRegistryHost } from './image-service';
import { FakeRegistry, MemoryBlobStore, MemoryImageStore } from './test-fakes';

const AMD64 = { os: 'linux', architecture: 'amd64' };
const ARM64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };
const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

let work: string;
let content: MemoryBlobStore;
let images: MemoryImageStore;
let registry: FakeRegistry;
let saved: Map<string, string>;
let service: ImageService;
let clock: number;
let gcRuns: number;

function rootfsTar(files: Record<string, string>): Buffer {
  const dir = mkdtempSync(join(work, 'rootfs-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return execFileSync('tar', ['--sort=name', '--mtime=@1704067200', '-C', dir, '-c', '.']);
}

async function expectCError(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCError(error), `expected a CError ${code}, got ${String(error)}`).toBe(true);
  if (isCError(error)) {
    expect(error.code).toBe(code);
    if (message) expect(error.message).toMatch(message);
  }
}

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'c-engine-test-'));
  content = new MemoryBlobStore();
  images = new MemoryImageStore();
  registry = new FakeRegistry();
  saved = new Map();
  clock = Date.parse('2026-01-01T00:00:00Z');
  gcRuns = 0;
  service = new ImageService({
    collectGarbage: async () => void gcRuns++,
    content,
    images,
    registry,
    credentials: {
      save: async (host, credentials) => void saved.set(host, credentials.username),
      remove: async (host) => saved.delete(host),
    },
    tmpDir: join(work, 'tmp'),
    now: () => new Date((clock += 1000)),
  });
});

afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('import', () => {
  it('stores a plain tar as one gzip layer whose diffId is the sha256 of the tar', async () => {
    const tar = rootfsTar({ 'bin/hello': 'hi\n', 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n' });
    const result = await service.import(Readable.from([tar]), 'example/rootfs:1', {
      changes: ['CMD ["sh"]', 'ENV PATH=/bin'],
      platform: AMD64,
      sourceName: 'rootfs.tar',
    });
    const manifest = JSON.parse(Buffer.from(await content.read(result.manifestDigest)).toString());
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(manifest.layers).toHaveLength(1);
    const layer = Buffer.from(await content.read(manifest.layers[0].digest));
    expect(layer.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(gunzipSync(layer)).toEqual(tar);
    expect(manifest.layers[0].size).toBe(layer.length);

    const inspect = await service.inspect('example/rootfs:1');
    expect(inspect.Id).toBe(result.id);
    expect(inspect.Id).toBe(manifest.config.digest);
    expect(inspect.RootFS).toEqual({ Type: 'layers', Layers: [sha256(tar)] });
    expect(inspect.Config.Cmd).toEqual(['sh']);
    expect(inspect.Config.Env).toEqual(['PATH=/bin']);
    expect(inspect.Os).toBe('linux');
    expect(inspect.Architecture).toBe('amd64');
    expect(inspect.RepoTags).toEqual(['example/rootfs:1']);
    expect(inspect.Comment).toBe('Imported from rootfs.tar');
    expect(inspect.Size).toBe(layer.length);
    // The scratch file is gone once the layer is in the store.
    expect(readdirSync(join(work, 'tmp'))).toEqual([]);
  });

  it('records a platform given as os/arch/variant text (the API query form)', async () => {
    await service.import(Readable.from([rootfsTar({ 'a.txt': 'a' })]), 'arm', { platform: 'linux/arm64/v8' });
    const inspect = await service.inspect('arm');
    expect([inspect.Os, inspect.Architecture, inspect.Variant]).toEqual(['linux', 'arm64', 'v8']);
  });

  it('gives a gzip tarball the same diffId as the plain tar', async () => {
    const tar = rootfsTar({ 'a.txt': 'a' });
    const plain = await service.import(Readable.from([tar]), 'plain', { platform: AMD64 });
    const gzipped = await service.import(Readable.from([gzipSync(tar)]), 'gzipped', { platform: AMD64 });
    const layers = async (tag: string) => (await service.inspect(tag)).RootFS.Layers;
    expect(await layers('gzipped')).toEqual(await layers('plain'));
    expect(plain.id).not.toBe(''); // both imports produce a config
    expect(gzipped.manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('refuses something that is not a tar, naming the source', async () => {
    await expectCError(
      service.import(Readable.from([Buffer.from('definitely not a tar archive'.repeat(40))]), 'x', { sourceName: 'notes.txt' }),
      'INVALID_ARGUMENT',
      /notes\.txt: not a tar archive/,
    );
    expect(images.records.size).toBe(0);
  });

  it('refuses more labels than a pulled config may carry, before reading the tarball, storing nothing', async () => {
    const changes = Array.from({ length: MAX_MAP_ENTRIES + 1 }, (_, i) => `LABEL k${i}=v`);
    let read = false;
    const source = new Readable({ read: () => ((read = true), source.push(null)) });
    await expectCError(service.import(source, 'x', { changes }), 'LIMIT_EXCEEDED', /config\.Labels: 10001 entries/);
    expect(read).toBe(false);
    expect(images.records.size).toBe(0);
    // The message is written twice (comment, history): 4 MiB of it passes the 8 MiB config bound.
    await expectCError(service.import(source, 'x', { message: 'm'.repeat(4 * 1024 * 1024) }), 'LIMIT_EXCEEDED', /image config/);
    expect(read).toBe(false);
    await service.import(Readable.from([rootfsTar({ 'a.txt': 'a' })]), 'max', { changes: changes.slice(1), platform: AMD64 });
    expect(Object.keys((await service.inspect('max')).Config.Labels ?? {})).toHaveLength(MAX_MAP_ENTRIES);
  });

  it('refuses an unknown --change before reading the tarball', async () => {
    await expectCError(service.import(Readable.from([Buffer.alloc(1024)]), 'x', { changes: ['RUN rm -rf /'] }), 'INVALID_ARGUMENT', /RUN/);
  });
});

describe('tag, list, remove', () => {
  async function importImage(name: string, text: string) {
    return service.import(Readable.from([rootfsTar({ 'f.txt': text })]), name, { platform: AMD64 });
  }

  it('lists one row per name with the image id, the config time and the compressed layer size', async () => {
    const first = await importImage('busybox', 'one');
    await service.tag('busybox', 'localhost:5000/busybox:v1');
    const rows = await service.list();
    expect(rows.map((r) => `${r.repository}:${r.tag}`).sort()).toEqual(['busybox:latest', 'localhost:5000/busybox:v1']);
    for (const row of rows) {
      expect(row.id).toBe(first.id);
      expect(row.created).toBe('2026-01-01T00:00:01.000Z');
      const manifest = JSON.parse(Buffer.from(await content.read(first.manifestDigest)).toString());
      expect(row.size).toBe(manifest.layers[0].size);
    }
  });

  it('untags by name and deletes the image when its last name goes', async () => {
    const image = await importImage('busybox', 'one');
    await service.tag('busybox', 'other:1');
    expect(await service.remove('busybox')).toEqual([{ Untagged: 'busybox:latest' }]);
    expect(gcRuns).toBe(0); // still named: its blobs stay
    expect(await service.remove('other:1')).toEqual([{ Untagged: 'other:1' }, { Deleted: image.id }]);
    expect(gcRuns).toBe(1);
    await expectCError(service.inspect(image.id), 'NOT_FOUND', /No such image/);
  });

  it('refuses to delete an id named in several repositories unless forced', async () => {
    const image = await importImage('busybox', 'one');
    await service.tag('busybox', 'other:1');
    const shortId = image.id.slice(7, 19);
    await expectCError(service.remove(shortId), 'CONFLICT', /must be forced.*multiple repositories/);
    expect(images.records.size).toBe(2);
    const removed = await service.remove(shortId, { force: true });
    expect(removed).toContainEqual({ Deleted: image.id });
    expect(images.records.size).toBe(0);
  });

  it('deletes by id when all names are in one repository', async () => {
    const image = await importImage('busybox:1', 'one');
    await service.tag('busybox:1', 'busybox:2');
    const removed = await service.remove(image.id);
    expect(removed).toEqual([{ Untagged: 'busybox:1' }, { Untagged: 'busybox:2' }, { Deleted: image.id }]);
  });

  it('reports a missing image as NOT_FOUND', async () => {
    await expectCError(service.remove('nothere:1'), 'NOT_FOUND', /No such image: nothere:1/);
    await expectCError(service.tag('nothere', 'x'), 'NOT_FOUND');
  });

  it('refuses a tag that is a digest', async () => {
    await importImage('busybox', 'one');
    await expectCError(service.tag('busybox', `busybox@sha256:${'a'.repeat(64)}`), 'INVALID_ARGUMENT');
  });
});

describe('pull and push', () => {
  /** Builds a two-platform image in the fake registry and returns the index digest. */
  function publishTwoPlatforms(): { index: string; amd64: string; arm64: string } {
    const manifests = [AMD64, ARM64].map((platform) => {
      const layer = registry.store.putBytes('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(Buffer.alloc(1024)));
      const config = registry.store.putJson('application/vnd.oci.image.config.v1+json', {
        ...platform,
        created: '2025-06-01T00:00:00Z',
        rootfs: { type: 'layers', diff_ids: [sha256(Buffer.alloc(1024))] },
        config: { Cmd: [platform.architecture] },
      });
      const manifest = registry.store.putJson('application/vnd.oci.image.manifest.v1+json', {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config,
        layers: [layer],
      });
      return { ...manifest, platform };
    });
    const index = registry.store.putJson('application/vnd.oci.image.index.v1+json', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests,
    });
    registry.tag(parseReference('localhost:5000/multi:1'), index.digest);
    return { index: index.digest, amd64: manifests[0]!.digest, arm64: manifests[1]!.digest };
  }

  it('records the platform manifest and the index, under a lease that is released', async () => {
    const published = publishTwoPlatforms();
    const events: string[] = [];
    const result = await service.pull('localhost:5000/multi:1', {
      platform: 'linux/arm64',
      onProgress: (event) => events.push(event.status),
    });
    expect(result).toMatchObject({
      reference: 'localhost:5000/multi:1',
      fullReference: 'localhost:5000/multi:1',
      digest: published.index,
      manifestDigest: published.arm64,
      status: 'downloaded',
    });
    expect(events).toEqual(['done', 'done']);
    const record = images.records.get('localhost:5000/multi:1');
    expect(record?.target.digest).toBe(published.arm64);
    expect(record?.indexDigest).toBe(published.index);
    expect(images.leases.size).toBe(0);
    expect(images.leaseHistory.at(-1)).toMatch(/^release pull-/);
    const inspect = await service.inspect('localhost:5000/multi:1');
    expect(inspect.Architecture).toBe('arm64');
    expect(inspect.RepoDigests).toEqual([`localhost:5000/multi@${published.index}`]);

    const again = await service.pull('localhost:5000/multi:1', { platform: 'linux/arm64' });
    expect(again.status).toBe('up-to-date');
  });

  it('keeps no tag for a pull by digest, like docker', async () => {
    const published = publishTwoPlatforms();
    await service.pull(`localhost:5000/multi@${published.amd64}`, { platform: AMD64 });
    const rows = await service.list();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ repository: 'localhost:5000/multi', tag: undefined, digest: published.amd64 });
  });

  it('pushes the platform manifest of a partially pulled index, and the whole index when all is local', async () => {
    const published = publishTwoPlatforms();
    await service.pull('localhost:5000/multi:1', { platform: AMD64 });
    await service.tag('localhost:5000/multi:1', 'localhost:5000/copy:1');
    const partial = await service.push('localhost:5000/copy:1');
    expect(partial.digest).toBe(published.amd64);
    expect(partial).toMatchObject({ repository: 'localhost:5000/copy', tag: '1' });

    await service.pull('localhost:5000/multi:1', { platform: ARM64 });
    await service.tag('localhost:5000/multi:1', 'localhost:5000/copy:2');
    const whole = await service.push('localhost:5000/copy:2');
    expect(whole.digest).toBe(published.index);
  });

  it('says which name is missing when pushing an image that is not local', async () => {
    await expectCError(service.push('localhost:5000/none:1'), 'NOT_FOUND', /does not exist locally with the tag: localhost:5000\/none:1/);
  });

  it('hands each pull and push only its own credentials, for the image\'s registry alone', async () => {
    publishTwoPlatforms();
    await service.pull('localhost:5000/multi:1', { platform: AMD64, auth: { username: 'alice', password: 'pw' } });
    await service.pull('localhost:5000/multi:1', { platform: AMD64 });
    const basic = Buffer.from('bob:pw:with:colons').toString('base64');
    await service.push('localhost:5000/multi:1', { auth: { auth: basic } });
    expect(registry.credentialsSeen).toEqual([
      { own: 'alice', other: undefined },
      { own: undefined, other: undefined },
      { own: 'bob', other: undefined },
    ]);
    await expectCError(service.push('localhost:5000/multi:1', { auth: { auth: 'bm9jb2xvbg==' } }), 'INVALID_ARGUMENT', /localhost:5000.*auth/);
  });

  it('passes registry errors through unchanged', async () => {
    await expectCError(service.pull('localhost:5000/absent:1'), 'NOT_FOUND', /manifest unknown/);
    expect(images.records.size).toBe(0);
    expect(images.leases.size).toBe(0);
  });
});

describe('login and logout', () => {
  it('saves credentials only after the registry accepted them', async () => {
    registry.users.set('alice', 'secret');
    await expectCError(service.login('localhost:5000', { username: 'alice', password: 'wrong' }), 'UNAUTHORIZED');
    expect(saved.size).toBe(0);
    expect(await service.login('http://localhost:5000/', { username: 'alice', password: 'secret' })).toEqual({
      registry: 'localhost:5000',
    });
    expect(saved.get('localhost:5000')).toBe('alice');
    expect(await service.logout('localhost:5000')).toEqual({ registry: 'localhost:5000', removed: true });
    expect(await service.logout('localhost:5000')).toEqual({ registry: 'localhost:5000', removed: false });
  });

  it('only checks credentials when the service has nowhere to save them (a daemon)', async () => {
    registry.users.set('alice', 'secret');
    const daemonSide = new ImageService({ content, images, registry, tmpDir: join(work, 'tmp') });
    await expectCError(daemonSide.login('localhost:5000', { username: 'alice', password: 'wrong' }), 'UNAUTHORIZED');
    expect(await daemonSide.login('localhost:5000', { username: 'alice', password: 'secret' })).toEqual({ registry: 'localhost:5000' });
    expect(await daemonSide.logout('localhost:5000')).toEqual({ registry: 'localhost:5000', removed: false });
    expect(saved.size).toBe(0);
  });

  it('treats every Docker Hub spelling as docker.io', () => {
    for (const input of [undefined, 'docker.io', 'index.docker.io', 'https://index.docker.io/v1/', 'registry-1.docker.io']) {
      expect(normalizeRegistryHost(input)).toBe('docker.io');
    }
    expect(normalizeRegistryHost('Registry.Example.com:5000')).toBe('registry.example.com:5000');
  });
});
