import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCache } from './file-cache';
import { writeFileAtomic } from './atomic';
import { spawnTsChild, fixturePath, killAllChildren } from '../content/test-fixtures/child-process';

let dir: string;
let path: string;
let parses: number;
const parse = (text: string | undefined) => {
  parses++;
  return text === undefined ? undefined : (JSON.parse(text) as { n: number });
};
/** A clock far enough ahead that every version on disk has settled. */
const later = () => Date.now() + 60_000;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'c-file-cache-'));
  path = join(dir, 'state.json');
  parses = 0;
});
afterEach(async () => {
  await killAllChildren();
  await rm(dir, { recursive: true, force: true });
});

describe('FileCache', () => {
  it('parses a settled version once and serves it while the file is unchanged', async () => {
    await writeFile(path, '{"n":1}');
    const cache = new FileCache(path, 1000, later);
    expect(cache.read(parse)).toEqual({ n: 1 });
    expect(cache.read(parse)).toEqual({ n: 1 });
    expect(parses).toBe(1);
  });

  it('reads again after a replace by rename, an in-place write of the same size, and a removal', async () => {
    await writeFile(path, '{"n":1}');
    const cache = new FileCache(path, 1000, later);
    expect(cache.read(parse)).toEqual({ n: 1 });
    await writeFileAtomic(path, '{"n":2}', { durable: false });
    expect(cache.read(parse)).toEqual({ n: 2 });
    await writeFile(path, '{"n":3}'); // same inode, same size: mtime/ctime tell
    expect(cache.read(parse)).toEqual({ n: 3 });
    await rm(path);
    expect(cache.read(parse)).toBeUndefined();
    await writeFile(path, '{"n":4}');
    expect(cache.read(parse)).toEqual({ n: 4 });
  });

  it('sees a write by another process', async () => {
    await writeFile(path, '{"n":1}');
    const cache = new FileCache(path, 1000, later);
    expect(cache.read(parse)).toEqual({ n: 1 });
    const child = spawnTsChild(fixturePath(import.meta.url, 'test-fixtures/write-file-child.ts'), [path, '{"n":9}']);
    expect(await child.exited, child.stderr()).toBe(0);
    expect(cache.read(parse)).toEqual({ n: 9 });
  });

  it('never caches a version changed within the settle time (its timestamps could repeat in a later write)', async () => {
    await writeFile(path, '{"n":1}');
    const cache = new FileCache(path, 60_000);
    cache.read(parse);
    cache.read(parse);
    expect(parses).toBe(2);
  });
});
