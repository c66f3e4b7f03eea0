import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diskUsage } from './disk-usage';

describe('diskUsage', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'c-du-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('counts every inode once (hard links too) and agrees with du', async () => {
    mkdirSync(join(dir, 'a/b'), { recursive: true });
    writeFileSync(join(dir, 'a/big'), Buffer.alloc(100_000, 1));
    linkSync(join(dir, 'a/big'), join(dir, 'a/b/same'));
    writeFileSync(join(dir, 'a/b/small'), 'x');
    symlinkSync('big', join(dir, 'a/link'));
    const usage = await diskUsage(dir);
    expect(usage.inodes).toBe(6); // dir, a, a/b, big (twice linked), small, link
    const du = Number(execFileSync('du', ['-s', '-B1', dir], { encoding: 'utf8' }).split('\t')[0]);
    expect(usage.size).toBe(du);
  });

  it('walks trees larger than one batch and yields to the event loop meanwhile', async () => {
    for (let d = 0; d < 10; d++) {
      mkdirSync(join(dir, String(d)));
      for (let f = 0; f < 500; f++) writeFileSync(join(dir, String(d), String(f)), '');
    }
    // Other work queued on the event loop gets turns while the walk runs.
    let ticks = 0;
    let running = true;
    const tick = () => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const usage = await diskUsage(dir);
    running = false;
    expect(usage.inodes).toBe(1 + 10 + 5000);
    expect(ticks).toBeGreaterThan(0);
  });

  it('is zero for a missing directory', async () => {
    expect(await diskUsage(join(dir, 'missing'))).toEqual({ size: 0, inodes: 0 });
  });
});
