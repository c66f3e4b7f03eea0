import type { ChildProcess } from 'node:child_process';
import { existsSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { detectCgroupLayout, ownCgroups } from '../cgroups/detect';
import { isPrivileged, killChildren, spawnWaiting, uniqueName } from '../cgroups/test-helpers';
import { defaultCgroupsFactory } from './cgroups-adapter';

const layout = detectCgroupLayout();
const canRun = isPrivileged() && layout.mode !== 'unified' && ['memory', 'pids', 'freezer'].every((c) => layout.v1.has(c));

/** The directory of relative cgroup `name` in one v1 hierarchy (next to this process's own cgroup). */
function dirOf(controller: string, name: string): string {
  return join(layout.v1.get(controller) ?? '/nonexistent', ownCgroups().get(controller) ?? '/', name);
}

const children: ChildProcess[] = [];
const names: string[] = [];
afterEach(() => {
  killChildren(children);
  // Last resort, so a failed test never leaves a cgroup behind.
  for (const name of names.splice(0)) {
    for (const controller of layout.v1.keys()) {
      const dir = dirOf(controller, name);
      if (existsSync(dir)) rmdirSync(dir);
    }
  }
});

function newName(): string {
  const name = uniqueName('c-test-adapter');
  names.push(name);
  return name;
}

const leftovers = (name: string) => [...layout.v1.keys()].filter((controller) => existsSync(dirOf(controller, name)));

describe.skipIf(!canRun)('container cgroups over the v1 manager (root; skipped otherwise)', () => {
  test('destroy removes every hierarchy even when an earlier removal already took the pids directory', async () => {
    const factory = defaultCgroupsFactory();
    const name = newName();
    factory(name).prepare?.(undefined);
    expect(leftovers(name).length).toBeGreaterThanOrEqual(3);
    // A half-done removal: the pids directory went, the others stayed.
    rmdirSync(dirOf('pids', name));
    await factory(name).destroy();
    expect(leftovers(name)).toEqual([]);
  });

  test('reading oomKills and destroying again after removal never bring the cgroup back', async () => {
    const factory = defaultCgroupsFactory();
    const name = newName();
    factory(name).prepare?.(undefined);
    await factory(name).destroy();
    expect(factory(name).oomKills()).toBe(0);
    await factory(name).destroy();
    expect(leftovers(name)).toEqual([]);
  });

  test('one busy hierarchy does not keep the others: they are removed, the busy one on a later destroy', async () => {
    const factory = defaultCgroupsFactory();
    const name = newName();
    factory(name).prepare?.(undefined);
    const waiting = spawnWaiting('sleep 60', children);
    // Only the pids hierarchy holds a process, so only its rmdir answers EBUSY.
    writeFileSync(join(dirOf('pids', name), 'cgroup.procs'), String(waiting.pid));
    await expect(factory(name).destroy()).rejects.toThrow(/rmdir/);
    expect(leftovers(name)).toEqual(['pids']);
    killChildren(children);
    await waiting.exit;
    await factory(name).destroy();
    expect(leftovers(name)).toEqual([]);
  });

  test('an exec joining after the container\'s cgroup was removed fails and does not bring the cgroup back', async () => {
    const factory = defaultCgroupsFactory();
    const name = newName();
    factory(name).prepare?.(undefined);
    const waiting = spawnWaiting('sleep 60', children);
    // The exit path removes the cgroup while an exec process is still starting up...
    await factory(name).destroy();
    // ...then the exec joins it: refused, and nothing is recreated (it used to leave empty /c/<id> directories).
    expect(() => factory(name).addProcess(waiting.pid)).toThrow(/gone/);
    expect(leftovers(name)).toEqual([]);
  });

  test('an exec joins an existing cgroup in every hierarchy', async () => {
    const factory = defaultCgroupsFactory();
    const name = newName();
    factory(name).prepare?.(undefined);
    const waiting = spawnWaiting('sleep 60', children);
    factory(name).addProcess(waiting.pid);
    expect(factory(name).pids()).toEqual([waiting.pid]);
    killChildren(children);
    await waiting.exit;
    await factory(name).destroy();
    expect(leftovers(name)).toEqual([]);
  });
});
