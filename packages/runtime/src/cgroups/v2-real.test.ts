import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { detectCgroupLayout } from './detect';
import { createCgroupManager } from './index';
import type { CgroupManager } from './types';
import { destroyManagers, isPrivileged, killChildren, spawnWaiting, uniqueName } from './test-helpers';

// On this hybrid host the cgroup2 mount has no resource controllers (they are bound to v1), but the core
// files work: cgroup.procs, cgroup.freeze, cgroup.kill, cpu.stat. On a pure v2 host the same tests run there.
const layout = detectCgroupLayout();
const v2Root = layout.v2;
const canRun = isPrivileged() && v2Root !== undefined && existsSync(join(v2Root, 'cgroup.procs'));

if (!canRun) console.warn('cgroups: real cgroup2 tests skipped: need root with CAP_SYS_ADMIN and a cgroup2 mount');

const children: ChildProcess[] = [];
const managers: CgroupManager[] = [];
afterEach(async () => {
  killChildren(children);
  await destroyManagers(managers);
});

function newManager(): CgroupManager {
  // Absolute paths from the mount's root: this process may not be in the v2 hierarchy's root on other hosts.
  const manager = createCgroupManager({ version: 2, layout });
  managers.push(manager);
  return manager;
}

describe.skipIf(!canRun)('cgroup v2 manager on the real cgroup2 mount (root; skipped otherwise)', () => {
  test('create, addProcess, freeze/thaw, cpu stats, cgroup.kill, destroy leaves nothing', async () => {
    const root = v2Root ?? '';
    // Only this process's cgroups: other test files and packages (and e2e) create their own in the root meanwhile.
    const ours = () => readdirSync(root).filter((entry) => entry.includes(`-${process.pid}-`));
    expect(ours()).toEqual([]);
    const manager = newManager();
    const name = uniqueName('c-test-v2');
    manager.create(`/${name}`);
    const dir = join(root, name);
    expect(manager.directories()).toEqual([dir]);

    const busy = spawnWaiting('while :; do :; done', children);
    manager.addProcess(busy.pid);
    busy.release();
    expect(readFileSync(`/proc/${busy.pid}/cgroup`, 'utf8')).toContain(`0::/${name}\n`);
    expect(manager.pids()).toEqual([busy.pid]);

    await manager.freeze();
    expect(readFileSync(join(dir, 'cgroup.events'), 'utf8')).toContain('frozen 1');
    const frozenUsage = manager.stats().cpu.usageNs;
    await new Promise((r) => setTimeout(r, 100));
    expect(manager.stats().cpu.usageNs).toBe(frozenUsage);
    await manager.thaw();
    // Thawed, the loop runs again: waited for, as a loaded machine may not schedule it within a fixed sleep.
    await vi.waitFor(() => expect(manager.stats().cpu.usageNs).toBeGreaterThan(frozenUsage), { timeout: 10_000, interval: 20 });

    await manager.killAll();
    expect((await busy.exit).signal).toBe('SIGKILL');
    await manager.destroy();
    expect(existsSync(dir)).toBe(false);
    expect(ours()).toEqual([]);
  });

  test('device rules become an eBPF program that the kernel enforces', async () => {
    const manager = newManager();
    manager.create(`/${uniqueName('c-test-v2-dev')}`, {
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 5, access: 'r' },
      ],
    });
    const probe = spawnWaiting(
      'head -c 1 /dev/zero >/dev/null && echo zero-read; echo x >/dev/zero && echo zero-write; head -c 1 /dev/urandom >/dev/null && echo urandom',
      children,
    );
    manager.addProcess(probe.pid);
    probe.release();
    const result = await probe.exit;
    expect(result.stdout).toBe('zero-read\n');
    expect(result.stderr).toMatch(/Operation not permitted/);
    // Replacing the rules swaps the program: /dev/urandom opens now.
    manager.apply({ devices: [{ allow: true }] });
    const again = spawnWaiting('head -c 1 /dev/urandom >/dev/null && echo urandom', children);
    manager.addProcess(again.pid);
    again.release();
    expect((await again.exit).stdout).toBe('urandom\n');
  });

  test('limits on controllers the hierarchy lacks are refused, naming the controller', () => {
    const manager = newManager();
    manager.create(`/${uniqueName('c-test-v2-ctl')}`);
    const offered = readFileSync(join(manager.directories()[0] ?? '', 'cgroup.controllers'), 'utf8');
    if (offered.includes('pids')) {
      manager.apply({ pids: { limit: 7 } });
      expect(manager.stats().pids.limit).toBe(7);
    } else {
      expect(() => manager.apply({ pids: { limit: 7 } })).toThrow(/pids controller/);
    }
  });
});
