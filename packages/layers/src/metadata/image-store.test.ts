import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCError } from '@c/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixturePath, killAllChildren, spawnTsChild } from '../content/test-fixtures/child-process';
import { ImageStore } from './image-store';
import { storeLayout } from './layout';
import { codeOf } from '../util/testing';

const fixture = fixturePath(import.meta.url, 'test-fixtures/image-store-child.ts');
const digest = (char: string) => `sha256:${char.repeat(64)}`;
const manifest = (char: string) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(char), size: 500 });

let dir: string;
let path: string;
let store: ImageStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'c-images-'));
  path = join(dir, 'images.json');
  store = new ImageStore(path);
});

afterEach(async () => {
  await killAllChildren();
  await rm(dir, { recursive: true, force: true });
});

describe('records', () => {
  it('puts, gets, lists and deletes records', async () => {
    expect(await store.list()).toEqual([]);
    const busybox = await store.put({ name: 'docker.io/library/busybox:latest', target: manifest('a'), configDigest: digest('c') });
    await store.put({ name: 'docker.io/library/alpine:3', target: manifest('b'), indexDigest: digest('d') });
    expect(busybox.createdAt).toBe(busybox.updatedAt);
    expect(await store.get('docker.io/library/busybox:latest')).toEqual(busybox);
    expect((await store.list()).map((record) => record.name)).toEqual([
      'docker.io/library/alpine:3',
      'docker.io/library/busybox:latest',
    ]);
    expect(JSON.parse(await readFile(path, 'utf8')).version).toBe(1);

    expect(await store.delete('docker.io/library/alpine:3')).toMatchObject({ indexDigest: digest('d') });
    expect(await store.get('docker.io/library/alpine:3')).toBeUndefined();
    const missing = await store.delete('docker.io/library/alpine:3').catch((error: unknown) => error);
    expect(isCError(missing, 'NOT_FOUND') && missing.message).toBe('No such image: docker.io/library/alpine:3');
  });

  it('keeps createdAt when a name is re-pointed', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const timed = new ImageStore(path, { now: () => clock });
    const first = await timed.put({ name: 'r/x:1', target: manifest('a') });
    clock += 60_000;
    const second = await timed.put({ name: 'r/x:1', target: manifest('b') });
    expect(second.createdAt).toBe(first.createdAt);
    expect(second.updatedAt).toBe('2026-01-01T00:01:00.000Z');
    expect(second.target.digest).toBe(digest('b'));
  });

  it('validates what it stores', async () => {
    expect(await codeOf(store.put({ name: '', target: manifest('a') }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(store.put({ name: 'has space:1', target: manifest('a') }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(store.put({ name: 'r/x:1', target: { ...manifest('a'), digest: 'sha256:../../x' } }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(store.put({ name: 'r/x:1', target: { ...manifest('a'), size: -1 } }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(store.put({ name: 'r/x:1', target: manifest('a'), configDigest: 'nope' }))).toBe('INVALID_ARGUMENT');
    expect(await store.list()).toEqual([]);
  });

  it('reports a store directory that cannot be written as a SYSCALL error naming the path', async () => {
    await writeFile(join(dir, 'not-a-dir'), '');
    const broken = new ImageStore(join(dir, 'not-a-dir', 'images.json'));
    const error = await broken.put({ name: 'r/x:1', target: manifest('a') }).catch((caught: unknown) => caught);
    expect(isCError(error, 'SYSCALL')).toBe(true);
    expect((error as Error).message).toContain('not-a-dir/images.json');
  });

  it('reports a corrupt or foreign file instead of treating it as empty', async () => {
    await writeFile(path, '{"version":1,"images":');
    expect(await codeOf(store.list())).toBe('INTERNAL');
    await writeFile(path, '{"version":7,"images":{},"leases":{}}');
    expect(await codeOf(store.put({ name: 'r/x:1', target: manifest('a') }))).toBe('UNSUPPORTED');
  });
});

describe('findByDigest', () => {
  beforeEach(async () => {
    await store.put({ name: 'r/one:latest', target: manifest('a'), configDigest: `sha256:12ab${'0'.repeat(60)}` });
    await store.put({ name: 'r/one:v1', target: manifest('a'), configDigest: `sha256:12ab${'0'.repeat(60)}` });
    await store.put({
      name: 'r/two:latest',
      target: manifest('b'),
      configDigest: `sha256:12cd${'0'.repeat(60)}`,
      indexDigest: digest('e'),
    });
  });

  it('resolves short IDs to every name of that image', async () => {
    const match = await store.findByDigest('12ab');
    expect(match?.id).toBe(`sha256:12ab${'0'.repeat(60)}`);
    expect(match?.records.map((record) => record.name)).toEqual(['r/one:latest', 'r/one:v1']);
    expect((await store.findByDigest('sha256:12cd'))?.records.map((record) => record.name)).toEqual(['r/two:latest']);
    expect(await store.findByDigest('ff')).toBeUndefined();
  });

  it('reports an ambiguous prefix', async () => {
    const error = await store.findByDigest('12').catch((caught: unknown) => caught);
    expect(isCError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toContain('matches 2 images');
  });

  it('resolves full manifest, index and config digests', async () => {
    expect((await store.findByDigest(digest('b')))?.id).toBe(`sha256:12cd${'0'.repeat(60)}`);
    expect((await store.findByDigest(digest('e')))?.records[0]?.name).toBe('r/two:latest');
    expect((await store.findByDigest(`sha256:12ab${'0'.repeat(60)}`))?.records).toHaveLength(2);
  });

  it('rejects input that is not hex', async () => {
    for (const bad of ['', 'xyz', 'sha256:', 'md5:12', '../12']) {
      expect(await codeOf(store.findByDigest(bad))).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('leases', () => {
  it('merges digests, renews, expires and releases', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const timed = new ImageStore(path, { now: () => clock });
    await timed.acquireLease('pull-1', [digest('a')], { ttlMs: 1000 });
    const merged = await timed.acquireLease('pull-1', [digest('b'), digest('a')], { ttlMs: 1000 });
    expect(merged.digests).toEqual([digest('a'), digest('b')]);
    expect((await timed.listLeases()).map((lease) => lease.id)).toEqual(['pull-1']);
    clock += 1001;
    expect(await timed.listLeases()).toEqual([]);
    // A write drops ended leases from the file.
    await timed.acquireLease('pull-2', [digest('c')]);
    expect(Object.keys(JSON.parse(await readFile(timed.leasesPath, 'utf8')).leases)).toEqual(['pull-2']);
    expect(await timed.releaseLease('pull-2')).toBe(true);
    expect(await timed.releaseLease('pull-2')).toBe(false);
    expect(await codeOf(timed.acquireLease('../x', [digest('a')]))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(timed.acquireLease('ok', ['sha256:nope']))).toBe('INVALID_ARGUMENT');
  });

  it('withLease holds a lease for the duration of an operation, even one that fails', async () => {
    const seen = await store.withLease('pull', [digest('a')], async (id) => {
      await store.acquireLease(id, [digest('b')]);
      return (await store.listLeases()).map((lease) => [lease.id, lease.digests]);
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.[0]).toMatch(/^pull-[a-f0-9]{12}$/);
    expect(seen[0]?.[1]).toEqual([digest('a'), digest('b')]);
    await expect(
      store.withLease('pull', [digest('c')], async () => {
        throw new Error('registry went away');
      }),
    ).rejects.toThrow('registry went away');
    expect(await store.listLeases()).toEqual([]);
  });

  it('keeps leases out of images.json: a lease alone leaves the records file untouched', async () => {
    await store.put({ name: 'r/a:1', target: manifest('a') });
    const records = await readFile(path, 'utf8');
    await store.acquireLease('pull-1', [digest('a')]);
    expect(await readFile(path, 'utf8')).toBe(records);
    expect(store.leasesPath).toBe(join(dir, 'images.leases.json'));
    expect(Object.keys(JSON.parse(await readFile(store.leasesPath, 'utf8')).leases)).toEqual(['pull-1']);
    expect(JSON.parse(records).leases).toEqual({});
  });

  it('put with releaseLease records the image and ends the lease in one update', async () => {
    await store.acquireLease('pull-1', [digest('a'), manifest('a').digest]);
    await store.acquireLease('pull-2', [digest('b')]);
    await store.put({ name: 'r/a:1', target: manifest('a') }, { releaseLease: 'pull-1' });
    expect((await store.get('r/a:1'))?.target).toEqual(manifest('a'));
    expect((await store.listLeases()).map((lease) => lease.id)).toEqual(['pull-2']);
    expect(await codeOf(store.put({ name: 'r/a:1', target: manifest('a') }, { releaseLease: '../x' }))).toBe('INVALID_ARGUMENT');
  });

  it('reads leases an older c kept in images.json and moves them out when leases change', async () => {
    const legacy = { id: 'old-pull', digests: [digest('a')], createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2999-01-01T00:00:00.000Z' };
    await writeFile(path, JSON.stringify({ version: 1, images: {}, leases: { 'old-pull': legacy } }));
    expect((await store.listLeases()).map((lease) => lease.id)).toEqual(['old-pull']);
    await store.acquireLease('pull-1', [digest('b')]);
    expect(JSON.parse(await readFile(path, 'utf8')).leases).toEqual({});
    expect((await store.listLeases()).map((lease) => lease.id)).toEqual(['old-pull', 'pull-1']);
    expect(await store.releaseLease('old-pull')).toBe(true);
    expect((await store.listLeases()).map((lease) => lease.id)).toEqual(['pull-1']);
  });

  it('moves an older c\'s leases out of images.json when only a record changes, keeping them in force', async () => {
    const legacy = { id: 'old-pull', digests: [digest('a')], createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2999-01-01T00:00:00.000Z' };
    await writeFile(path, JSON.stringify({ version: 1, images: {}, leases: { 'old-pull': legacy } }));
    await store.put({ name: 'r/a:1', target: manifest('a') });
    expect(JSON.parse(await readFile(path, 'utf8')).leases).toEqual({});
    expect((await store.listLeases()).map((lease) => lease.id)).toEqual(['old-pull']);
  });

  it('fails, rather than reading no leases, when the lease file cannot be read', async () => {
    await mkdir(store.leasesPath); // EISDIR on read, as root cannot be refused by permissions
    expect(await codeOf(store.listLeases())).toBe('SYSCALL');
  });

  it('a torn lease file (what a crash can leave) reads as no leases and records stay readable', async () => {
    await store.put({ name: 'r/a:1', target: manifest('a') });
    await store.acquireLease('pull-1', [digest('a')]);
    await writeFile(store.leasesPath, '{"version":1,"lea');
    expect(await store.listLeases()).toEqual([]);
    expect((await store.list()).map((record) => record.name)).toEqual(['r/a:1']);
    await store.acquireLease('pull-2', [digest('b')]);
    expect((await store.listLeases()).map((lease) => lease.id)).toEqual(['pull-2']);
  });

  it('a lease bound to a process ends when that process dies; an unbound one stays', async () => {
    const bound = spawnTsChild(fixture, ['lease', path, 'pull-dead', digest('a'), '1']);
    expect(await bound.exited, bound.stderr()).toBe(0);
    const unbound = spawnTsChild(fixture, ['lease', path, 'build-cache', digest('b'), '0']);
    expect(await unbound.exited, unbound.stderr()).toBe(0);
    expect((await store.listLeases()).map((lease) => lease.id)).toEqual(['build-cache']);
  });
});

describe('lookup cache', () => {
  it('lookups through a cached images.json see records another process put or deleted', async () => {
    // A clock ahead of the file's timestamps: every version counts as settled, so lookups are served from memory.
    const cached = new ImageStore(path, { now: () => Date.now() + 60_000 });
    await cached.put({ name: 'r/a:1', target: manifest('a') });
    expect((await cached.get('r/a:1'))?.target.digest).toBe(digest('a'));
    const child = spawnTsChild(fixture, ['put', path, 'other', '1']);
    expect(await child.exited, child.stderr()).toBe(0);
    expect((await cached.list()).map((record) => record.name)).toEqual(['other/img:0', 'r/a:1']);
    await new ImageStore(path).delete('r/a:1');
    expect(await cached.get('r/a:1')).toBeUndefined();
    expect((await cached.findByDigest(digest('0')))?.records.map((record) => record.name)).toEqual(['other/img:0']);
  });

  it('lookups hand out copies: changing a returned record changes nothing stored', async () => {
    const cached = new ImageStore(path, { now: () => Date.now() + 60_000 });
    await cached.put({ name: 'r/a:1', target: manifest('a') });
    (await cached.get('r/a:1'))!.target.digest = digest('b');
    (await cached.list())[0]!.name = 'changed';
    (await cached.findByDigest(digest('a')))!.records[0]!.name = 'changed';
    expect(await cached.list()).toEqual([expect.objectContaining({ name: 'r/a:1', target: manifest('a') })]);
  });
});

describe('concurrency', () => {
  it('two processes putting 50 records each lose none', async () => {
    const children = ['alpha', 'beta'].map((prefix) => spawnTsChild(fixture, ['put', path, prefix, '50']));
    const codes = await Promise.all(children.map((child) => child.exited));
    expect(codes, children.map((child) => child.stderr()).join('\n')).toEqual([0, 0]);
    const names = (await store.list()).map((record) => record.name);
    expect(names).toHaveLength(100);
    for (let i = 0; i < 50; i++) expect(names).toContain(`alpha/img:${i}`);
    for (let i = 0; i < 50; i++) expect(names).toContain(`beta/img:${i}`);
  });

  it('a process killed with SIGKILL while pulling (lease, then record + release) leaves whole records and no live lease', async () => {
    const puller = spawnTsChild(fixture, ['pulls', path, 'killed', '1000']);
    await puller.waitForLine('pulled 5');
    puller.process.kill('SIGKILL');
    expect(await puller.exited).toBe('SIGKILL');
    // Every put that returned is there, and the records form an unbroken run: nothing torn, nothing lost.
    const names = (await store.list()).map((record) => record.name);
    expect(names.length).toBeGreaterThanOrEqual(5);
    for (let i = 0; i < names.length; i++) expect(names).toContain(`killed/img:${i}`);
    // Its lease (bound to the dead process) protects nothing; a new update drops it from the file.
    expect(await store.listLeases()).toEqual([]);
    await store.put({ name: 'r/after:1', target: manifest('a') });
    expect(JSON.parse(await readFile(store.leasesPath, 'utf8')).leases).toEqual({});
  });

  it('takes the lock over from a process killed while holding it', async () => {
    const holder = spawnTsChild(fixture, ['hold', path]);
    await holder.waitForLine('holding');
    const impatient = new ImageStore(path, { lockTimeoutMs: 300 });
    expect(await codeOf(impatient.put({ name: 'r/x:1', target: manifest('a') }))).toBe('UNAVAILABLE');
    holder.process.kill('SIGKILL');
    await holder.exited;
    expect((await impatient.put({ name: 'r/x:1', target: manifest('a') })).name).toBe('r/x:1');
  });

  it('takes over a lock file naming a pid that no longer exists', async () => {
    const gone = spawnTsChild(fixture, ['lease', path, 'tmp', digest('a'), '0']);
    await gone.exited;
    await writeFile(`${path}.lock`, String(gone.process.pid));
    const quick = new ImageStore(path, { lockTimeoutMs: 500 });
    expect((await quick.put({ name: 'r/y:1', target: manifest('a') })).name).toBe('r/y:1');
  });
});

describe('storeLayout', () => {
  it('puts everything under one root', () => {
    expect(storeLayout('/srv/c')).toEqual({
      root: '/srv/c',
      content: '/srv/c/content',
      images: '/srv/c/images.json',
      snapshots: '/srv/c/snapshots',
      containers: '/srv/c/containers',
      tmp: '/srv/c/tmp',
    });
  });

  it('defaults to $C_ROOT, then /var/lib/c, and refuses relative roots', () => {
    const saved = process.env.C_ROOT;
    try {
      process.env.C_ROOT = '/tmp/c-root-test';
      expect(storeLayout().content).toBe('/tmp/c-root-test/content');
      delete process.env.C_ROOT;
      expect(storeLayout().images).toBe('/var/lib/c/images.json');
    } finally {
      if (saved === undefined) delete process.env.C_ROOT;
      else process.env.C_ROOT = saved;
    }
    expect(() => storeLayout('relative/dir')).toThrow(/absolute/);
  });
});

describe('process identity', () => {
  it('a lease whose pid now belongs to another process has ended', async () => {
    await store.acquireLease('mine', [digest('a')]);
    const file = JSON.parse(await readFile(store.leasesPath, 'utf8'));
    expect(file.leases.mine.pid).toBe(process.pid);
    expect(file.leases.mine.pidStartTime).toMatch(/^\d+$/);
    // Same pid, different start time: what a recycled pid looks like.
    file.leases.mine.pidStartTime = String(Number(file.leases.mine.pidStartTime) + 1);
    await writeFile(store.leasesPath, JSON.stringify(file));
    expect(await store.listLeases()).toEqual([]);
  });
});
