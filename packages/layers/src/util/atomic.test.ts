import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFileLocked, removeLockIfFree, withFileLock, writeFileAtomic } from './atomic';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'c-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('withFileLock', () => {
  it('never lets two holders in at once, within one process', async () => {
    const lock = join(dir, 'x.lock');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        withFileLock(lock, async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((resolve) => setTimeout(resolve, 2));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  });

  it('reports the holder and times out while the lock is held', async () => {
    const lock = join(dir, 'y.lock');
    await withFileLock(lock, async () => {
      expect(await isFileLocked(lock)).toBe(true);
      await expect(withFileLock(lock, async () => 1, 50)).rejects.toThrow(
        `timed out waiting for the lock ${lock} held by pid ${process.pid}`,
      );
      expect(await removeLockIfFree(lock)).toBe(false);
    });
    expect(await isFileLocked(lock)).toBe(false);
    expect(await readFile(lock, 'utf8')).toBe(String(process.pid));
  });

  it('removes a free lock file, and a waiter on the removed file still excludes a newcomer', async () => {
    const lock = join(dir, 'z.lock');
    let inside = 0;
    let most = 0;
    const critical = async () => {
      inside++;
      most = Math.max(most, inside);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inside--;
    };
    await withFileLock(lock, async () => undefined);
    expect(await removeLockIfFree(lock)).toBe(true);
    await expect(stat(lock)).rejects.toThrow();
    await Promise.all([withFileLock(lock, critical), removeLockIfFree(lock), withFileLock(lock, critical)]);
    expect(most).toBe(1);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file whole', async () => {
    const file = join(dir, 'a', 'data.json');
    await writeFileAtomic(file, '{"v":1}');
    await writeFileAtomic(file, '{"v":2}');
    expect(await readFile(file, 'utf8')).toBe('{"v":2}');
  });
});
