import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFileLocked, removeLockIfFree, removeTree, withFileLock, writeFileAtomic } from './atomic';

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

  it('hands the lock to the next waiter in this process at once, in order (no polling sleeps)', async () => {
    const lock = join(dir, 'q.lock');
    const order: number[] = [];
    const acquired: number[] = [];
    const released: number[] = [];
    // Each holds the lock ~20 ms. A handover is the time from one release to the next holder's start: polling
    // waiters (sleeps doubling up to 50 ms) take tens of ms each; a queued one starts within the same turn. The
    // median of the 7 handovers keeps one slow turn on a loaded machine from deciding.
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        withFileLock(lock, async () => {
          acquired.push(performance.now());
          order.push(i);
          await new Promise((resolve) => setTimeout(resolve, 20));
          released.push(performance.now());
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const handovers = released.slice(0, -1).map((at, i) => acquired[i + 1]! - at).sort((a, b) => a - b);
    expect(handovers[3]).toBeLessThan(8);
  });

  it('a waiter that times out in the queue still keeps the ones after it behind the holder', async () => {
    const lock = join(dir, 'r.lock');
    let releaseHolder!: () => void;
    let inside = 0;
    let most = 0;
    const holder = withFileLock(lock, async () => {
      inside++;
      most = Math.max(most, inside);
      await new Promise<void>((resolve) => (releaseHolder = resolve));
      inside--;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await expect(withFileLock(lock, async () => 1, 20)).rejects.toThrow(`timed out waiting for the lock ${lock}`);
    const late = withFileLock(lock, async () => {
      inside++;
      most = Math.max(most, inside);
      inside--;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    releaseHolder();
    await Promise.all([holder, late]);
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

  it('leaves only its own pid in a lock file that named a longer one, and creates a missing directory', async () => {
    const lock = join(dir, 'sub', 'w.lock');
    await withFileLock(lock, async () => undefined);
    await writeFile(lock, '123456789012');
    await withFileLock(lock, async () => {
      expect(await readFile(lock, 'utf8')).toBe(String(process.pid));
    });
  });
});

describe('removeTree', () => {
  async function makeTree(root: string, files: number): Promise<void> {
    await mkdir(join(root, 'a', 'b'), { recursive: true });
    for (let i = 0; i < files; i++) await writeFile(join(root, i % 2 ? 'a' : join('a', 'b'), `f${i}`), 'x');
    await writeFile(join(dir, 'outside'), 'keep');
    await symlink(join(dir, 'outside'), join(root, 'a', 'link'));
    await symlink(dir, join(root, 'dirlink'));
  }

  it('removes a small tree synchronously and a large one past the budget, never following symlinks', async () => {
    for (const [name, files, budget] of [['small', 5, 256], ['large', 40, 8]] as const) {
      const root = join(dir, name);
      await makeTree(root, files);
      await removeTree(root, budget);
      await expect(stat(root)).rejects.toThrow();
      expect(await readFile(join(dir, 'outside'), 'utf8')).toBe('keep');
      await rm(join(dir, 'outside'));
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes an absent path as removed and removes a plain file', async () => {
    await removeTree(join(dir, 'absent'));
    await writeFile(join(dir, 'file'), 'x');
    await removeTree(join(dir, 'file'));
    expect(await readdir(dir)).toEqual([]);
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
