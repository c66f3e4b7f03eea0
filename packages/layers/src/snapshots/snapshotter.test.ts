import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { applyLayer } from '../archive/apply';
import { buildTar, chunked, isRoot, listTree, removeDir, tempDir } from '../archive/testing';
import { CopySnapshotter } from './copy';
import { createSnapshotter, probeDriver } from './create';
import { OverlaySnapshotter } from './overlay';
import { FS_FL, linuxSyscalls } from '@c/namespaces';
import { spreadSubdirectories } from '../util/spread-directories';
import { performMounts, unmountAll } from './testing';
import type { SnapshotInfo, Snapshotter } from './types';

const drivers = [
  ['copy', (root: string) => new CopySnapshotter(root)],
  ['overlay', (root: string) => new OverlaySnapshotter(root)],
] as const;

async function commitLayer(snapshotter: Snapshotter, name: string, parent: string | undefined, files: Record<string, string>, extra: Parameters<typeof buildTar>[0] = []) {
  const key = `tmp-${name}`;
  await snapshotter.prepare(key, parent);
  const target = await snapshotter.applyTarget(key);
  const entries = [...Object.entries(files).map(([path, content]) => ({ name: path, content })), ...extra];
  await applyLayer(chunked(await buildTar(entries)), target.root, { whiteouts: target.whiteouts });
  await snapshotter.commit(name, key);
}

async function names(snapshotter: Snapshotter): Promise<SnapshotInfo[]> {
  const all: SnapshotInfo[] = [];
  await snapshotter.walk((info) => void all.push(info));
  return all;
}

describe.each(drivers)('%s snapshotter', (driver, make) => {
  let root: string;
  const mounted: string[] = [];
  beforeEach(() => {
    root = tempDir(`snap-${driver}`);
  });
  afterEach(() => {
    unmountAll(mounted);
    removeDir(root);
  });

  it('runs the life cycle prepare → commit → view/prepare → remove, persisted across instances', async () => {
    const snapshotter = make(root);
    await commitLayer(snapshotter, 'base', undefined, { 'etc/hostname': 'base' });
    await snapshotter.prepare('ctr', 'base', { labels: { owner: 'test' } });
    await snapshotter.view('ro', 'base');
    const info = await make(root).stat('ctr');
    expect(info).toMatchObject({ name: 'ctr', kind: 'active', parent: 'base', labels: { owner: 'test' } });
    expect((await names(make(root))).map((i) => `${i.name}:${i.kind}`)).toEqual(['base:committed', 'ctr:active', 'ro:view']);
    const conflict = await snapshotter.remove('base').catch((error: unknown) => error);
    expect(isCError(conflict, 'CONFLICT')).toBe(true);
    await snapshotter.remove('ctr');
    await snapshotter.remove('ro');
    await snapshotter.remove('base');
    expect(await names(snapshotter)).toEqual([]);
    expect(readdirSync(`${root}/snapshots`)).toEqual([]);
  });

  it('refuses bad transitions with clear codes', async () => {
    const snapshotter = make(root);
    await snapshotter.prepare('a');
    const errors = await Promise.all([
      snapshotter.prepare('a').catch((e: unknown) => e),
      snapshotter.prepare('b', 'a').catch((e: unknown) => e),
      snapshotter.stat('missing').catch((e: unknown) => e),
      snapshotter.prepare('c', 'missing').catch((e: unknown) => e),
    ]);
    expect(errors.map((e) => (isCError(e) ? e.code : String(e)))).toEqual(['CONFLICT', 'INVALID_ARGUMENT', 'NOT_FOUND', 'NOT_FOUND']);
    await snapshotter.commit('a-done', 'a');
    expect((await snapshotter.commit('x', 'a-done').catch((e: unknown) => e)) as Error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await snapshotter.commit('x', 'nope').catch((e: unknown) => e)) as Error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await snapshotter.mounts('a-done').catch((e: unknown) => e)) as Error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    await snapshotter.prepare('again');
    expect((await snapshotter.commit('a-done', 'again').catch((e: unknown) => e)) as Error).toMatchObject({ code: 'CONFLICT' });
  });

  it.skipIf(!isRoot)('hides the lower directory when a layer deletes and re-creates it', async () => {
    const snapshotter = make(root);
    await commitLayer(snapshotter, 'l1', undefined, { 'a/x': 'x', 'c/y': 'y', 'e/z': 'z' });
    await commitLayer(snapshotter, 'l2', 'l1', {}, [
      { name: '.wh.a' },
      { name: 'a/', type: 'directory' },
      { name: 'a/b', content: 'b' },
      { name: '.wh.c' },
      { name: 'c/d', content: 'd' }, // no directory entry: c is re-created implicitly
    ]);
    mounted.push(...performMounts(await snapshotter.view('v', 'l2'), `${root}/mnt`));
    expect(readdirSync(`${root}/mnt/a`)).toEqual(['b']);
    expect(readdirSync(`${root}/mnt/c`)).toEqual(['d']);
    expect(readdirSync(`${root}/mnt/e`)).toEqual(['z']);
  });

  it('keeps metadata consistent under concurrent changes from several instances', async () => {
    const keys = Array.from({ length: 16 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((key, i) => make(root).prepare(key, undefined, { labels: { i: String(i) } })));
    await Promise.all(keys.slice(0, 8).map((key) => make(root).commit(`c-${key}`, key)));
    const all = await names(make(root));
    expect(all).toHaveLength(16);
    expect(all.filter((info) => info.kind === 'committed')).toHaveLength(8);
    const metadata = JSON.parse(readFileSync(`${root}/metadata.json`, 'utf8')) as { snapshots: Record<string, { id: number }> };
    const ids = Object.values(metadata.snapshots).map((record) => record.id);
    expect(new Set(ids).size).toBe(16);
    expect(readdirSync(`${root}/snapshots`).sort()).toEqual(ids.map(String).sort());
  });

  it('reports usage and removes orphaned directories', async () => {
    const snapshotter = make(root);
    await commitLayer(snapshotter, 'base', undefined, { a: 'x'.repeat(10_000), b: 'y' });
    const usage = await snapshotter.usage('base');
    expect(usage.inodes).toBe(3); // fs dir + 2 files
    expect(usage.size).toBeGreaterThanOrEqual(10_000);
    mkdirSync(`${root}/snapshots/999/fs`, { recursive: true });
    // Staging directories (a snapshot directory is made under a random name, then renamed): one a crash left long
    // ago goes, a fresh one may be another process's prepare in progress and stays.
    mkdirSync(`${root}/snapshots/.new-old/fs`, { recursive: true });
    utimesSync(`${root}/snapshots/.new-old`, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    mkdirSync(`${root}/snapshots/.new-fresh/fs`, { recursive: true });
    expect(await snapshotter.cleanup()).toBe(2);
    expect(existsSync(`${root}/snapshots/999`)).toBe(false);
    expect(existsSync(`${root}/snapshots/.new-old`)).toBe(false);
    expect(existsSync(`${root}/snapshots/.new-fresh`)).toBe(true);
    expect(await snapshotter.usage('base')).toEqual(usage);
  });

  it.skipIf(!isRoot)('mounts a stack where whiteouts hide lower files and writes stay in the snapshot', async () => {
    const snapshotter = make(root);
    await commitLayer(snapshotter, 'l1', undefined, { 'a/one': '1', 'a/two': '2', keep: 'k' });
    await commitLayer(snapshotter, 'l2', 'l1', { 'a/three': '3' }, [{ name: 'a/.wh.one' }]);
    await commitLayer(snapshotter, 'l3', 'l2', {}, [{ name: 'a/', type: 'directory' }, { name: 'a/.wh..wh..opq' }, { name: 'a/four', content: '4' }]);
    const mounts = await snapshotter.prepare('ctr', 'l3');
    const target = `${root}/mnt`;
    mounted.push(...performMounts(mounts, target));
    expect(readdirSync(`${target}/a`)).toEqual(['four']);
    expect(readFileSync(`${target}/keep`, 'utf8')).toBe('k');
    writeFileSync(`${target}/new`, 'n');
    unmountAll(mounted);
    const view = await snapshotter.view('v', 'l3');
    mounted.push(...performMounts(view, `${root}/view`));
    expect(existsSync(`${root}/view/new`)).toBe(false);
    expect(() => writeFileSync(`${root}/view/x`, 'x')).toThrow(/EROFS/);
  });
});

describe('overlay snapshotter limits', () => {
  let root: string;
  const mounted: string[] = [];
  beforeEach(() => {
    root = tempDir('snap-deep');
  });
  afterEach(() => {
    unmountAll(mounted);
    removeDir(root);
  });

  it.skipIf(!isRoot)('mounts 45 layers', async () => {
    const snapshotter = new OverlaySnapshotter(root);
    let parent: string | undefined;
    for (let i = 0; i < 45; i++) {
      await commitLayer(snapshotter, `l${i}`, parent, { [`layer-${i}`]: String(i), top: String(i) });
      parent = `l${i}`;
    }
    const mounts = await snapshotter.prepare('ctr', parent);
    expect(mounts[0]!.options.find((o) => o.startsWith('lowerdir='))!.split(':')).toHaveLength(45);
    mounted.push(...performMounts(mounts, `${root}/mnt`));
    expect(readdirSync(`${root}/mnt`)).toHaveLength(46);
    expect(readFileSync(`${root}/mnt/top`, 'utf8')).toBe('44');
  }, 60_000);

  it('fails clearly when the mount data would exceed a page', async () => {
    const longRoot = `${root}/${'r'.repeat(200)}/${'o'.repeat(200)}`;
    const snapshotter = new OverlaySnapshotter(longRoot);
    let parent: string | undefined;
    let error: unknown;
    let depth = 0;
    for (; depth < 20 && error === undefined; depth++) {
      error = await snapshotter.prepare(`k${depth}`, parent).then(() => undefined, (e: unknown) => e);
      if (error === undefined) {
        await snapshotter.commit(`l${depth}`, `k${depth}`);
        parent = `l${depth}`;
      }
    }
    // Each dir costs ~450 bytes here: the 9th prepare (8 lowerdirs + upperdir + workdir) is over the page.
    expect(depth).toBe(9);
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    expect((await snapshotter.stat('k8').catch((e: unknown) => e)) as Error).toMatchObject({ code: 'NOT_FOUND' });
    expect((error as Error).message).toMatch(/over the 4096-byte page/);
  });
});

describe('createSnapshotter', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir('snap-probe');
  });
  afterEach(() => removeDir(root));

  it('picks overlay where a trial mount works and honours an override', async () => {
    expect(await probeDriver(root)).toBe(isRoot ? 'overlay' : 'copy');
    expect((await createSnapshotter(root)).driver).toBe(isRoot ? 'overlay' : 'copy');
    expect((await createSnapshotter(root, { driver: 'copy' })).driver).toBe('copy');
    expect(readdirSync(root)).toEqual([]);
  });

  it.skipIf(!isRoot)('falls back to copy where overlay cannot have its upper dir (tmpfs over overlay)', async () => {
    // An overlay mount cannot be the upper filesystem of another overlay.
    const lower = `${root}/l`;
    for (const dir of ['l', 'u', 'w', 'm']) mkdirSync(`${root}/${dir}`);
    const mounts = [`${root}/m`];
    try {
      performMounts([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lower}`, `upperdir=${root}/u`, `workdir=${root}/w`] }], `${root}/m`);
      expect(await probeDriver(`${root}/m/store`)).toBe('copy');
    } finally {
      unmountAll(mounts);
    }
  });
});

describe('overlay attachParent (a layer extracted before the layers under it are committed)', () => {
  let root: string;
  const mounted: string[] = [];
  beforeEach(() => {
    root = tempDir('snap-attach');
  });
  afterEach(() => {
    unmountAll(mounted);
    removeDir(root);
  });

  it('bases a parentless active snapshot on a committed one: stat, mounts and removal order follow', async () => {
    const snapshotter = new OverlaySnapshotter(root);
    await snapshotter.prepare('top', undefined);
    const target = await snapshotter.applyTarget('top');
    await applyLayer(chunked(await buildTar([{ name: 'top', content: 'upper' }])), target.root, { whiteouts: 'overlay' });
    await commitLayer(snapshotter, 'base', undefined, { base: 'lower', top: 'lower' });
    await snapshotter.attachParent('top', 'base');
    expect((await snapshotter.stat('top')).parent).toBe('base');
    expect((await snapshotter.applyTarget('top')).lowerRoots).toHaveLength(1);
    expect((await snapshotter.remove('base').catch((e: unknown) => e)) as Error).toMatchObject({ code: 'CONFLICT' });
    await snapshotter.commit('stack', 'top');
    if (!isRoot) return;
    mounted.push(...performMounts(await snapshotter.view('v', 'stack'), `${root}/mnt`));
    expect(readFileSync(`${root}/mnt/top`, 'utf8')).toBe('upper');
    expect(readFileSync(`${root}/mnt/base`, 'utf8')).toBe('lower');
  });

  it('refuses a snapshot that has a parent or is not active, and a parent that is not committed', async () => {
    const snapshotter = new OverlaySnapshotter(root);
    await commitLayer(snapshotter, 'base', undefined, { a: 'a' });
    await snapshotter.prepare('child', 'base');
    await snapshotter.prepare('loose', undefined);
    await snapshotter.prepare('active-parent', undefined);
    expect((await snapshotter.attachParent('child', 'base').catch((e: unknown) => e)) as Error).toMatchObject({ code: 'INVALID_ARGUMENT', message: /based on base already/ });
    expect((await snapshotter.attachParent('base', 'base').catch((e: unknown) => e)) as Error).toMatchObject({ code: 'INVALID_ARGUMENT', message: /is committed/ });
    expect((await snapshotter.attachParent('loose', 'active-parent').catch((e: unknown) => e)) as Error).toMatchObject({ code: 'INVALID_ARGUMENT', message: /not committed/ });
    expect((await snapshotter.attachParent('loose', 'missing').catch((e: unknown) => e)) as Error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await snapshotter.attachParent('missing', 'base').catch((e: unknown) => e)) as Error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await snapshotter.stat('loose')).parent).toBeUndefined();
  });

  it('exists on overlay only: a copy snapshot holds a copy of its parent from the start', () => {
    const copy: Snapshotter = new CopySnapshotter(root);
    expect(copy.attachParent).toBeUndefined();
  });
});

describe('snapshot directories spread over the disk', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir('snap-spread');
  });
  afterEach(() => removeDir(root));

  const topdirFlag = (dir: string) => {
    const fd = openSync(dir, 'r');
    try {
      return linuxSyscalls.getInodeFlags(fd) & FS_FL.TOPDIR;
    } finally {
      closeSync(fd);
    }
  };

  it.each(drivers)('%s: the snapshots directory is flagged as a top of hierarchy (chattr +T) where the filesystem has the flag', async (_driver, make) => {
    mkdirSync(`${root}/probe`);
    const supported = spreadSubdirectories(`${root}/probe`);
    const snapshotter = make(`${root}/store`);
    await snapshotter.prepare('a', undefined);
    await snapshotter.prepare('b', undefined);
    if (!supported) {
      expect(existsSync(`${root}/store/snapshots`)).toBe(true);
      return;
    }
    expect(topdirFlag(`${root}/probe`)).toBe(FS_FL.TOPDIR);
    expect(topdirFlag(`${root}/store/snapshots`)).toBe(FS_FL.TOPDIR);
    // Only there: the snapshots themselves are ordinary directories.
    expect(topdirFlag(`${root}/store`)).toBe(0);
  });

  it.each(drivers)('%s: a snapshots directory removed under a live snapshotter is made (and flagged) again', async (_driver, make) => {
    const snapshotter = make(`${root}/store`);
    await snapshotter.prepare('a', undefined);
    rmSync(`${root}/store/snapshots`, { recursive: true });
    await snapshotter.prepare('b', undefined);
    expect(readdirSync(`${root}/store/snapshots`)).toHaveLength(1);
  });

  it('reports false and changes nothing where the flag cannot be set', () => {
    expect(spreadSubdirectories(`${root}/missing`)).toBe(false);
    expect(spreadSubdirectories('/proc/self')).toBe(false);
  });
});
