import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test, vi } from 'vitest';
import { warmCgroupMigration, warmOwnCgroupMigration } from './warm-migration';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

test('writes this process id to cgroup.procs of the given directory, off the main thread', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'c-warm-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'cgroup.procs'), '');
  warmCgroupMigration(dir);
  // A thread-pool write: on a loaded machine (or under dirty-page throttling) it can outlast waitFor's 1 s default.
  await vi.waitFor(() => expect(readFileSync(join(dir, 'cgroup.procs'), 'utf8')).toBe(String(process.pid)), { timeout: 10_000 });
});

test('no directory, or one it cannot open, is not an error (it is only a head start)', () => {
  expect(() => warmCgroupMigration(undefined)).not.toThrow();
  expect(() => warmCgroupMigration('/nonexistent/c-warm-test')).not.toThrow();
});

test('warmOwnCgroupMigration leaves this process in the cgroups it was in', async () => {
  const before = readFileSync('/proc/self/cgroup', 'utf8');
  warmOwnCgroupMigration();
  warmOwnCgroupMigration();
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(readFileSync('/proc/self/cgroup', 'utf8')).toBe(before);
});
