import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { detectCgroupLayout, ownCgroups } from './detect';
import { createCgroupManager } from './index';
import type { CgroupManager } from './types';
import { destroyManagers, isPrivileged, killChildren, spawnWaiting, uniqueName } from './test-helpers';

const layout = detectCgroupLayout();
const canRun = isPrivileged() && ['memory', 'pids', 'freezer', 'cpu'].every((c) => layout.v1.has(c));

if (!canRun) console.warn('cgroups: v1 tests skipped: need root with CAP_SYS_ADMIN and v1 memory, pids, freezer, cpu hierarchies');

const children: ChildProcess[] = [];
const managers: CgroupManager[] = [];
afterEach(async () => {
  killChildren(children);
  await destroyManagers(managers);
});

function newManager(): CgroupManager {
  const manager = createCgroupManager({ version: 1, layout });
  managers.push(manager);
  return manager;
}

/**
 * This process's cgroups next to ours in every controller: compared before and after to prove nothing is left. Only
 * names with our pid (uniqueName): other test files and packages (and e2e) create theirs there meanwhile.
 */
function siblingListing(): string[] {
  const own = ownCgroups();
  return ['memory', 'pids', 'cpu', 'cpuset', 'freezer'].flatMap((c) => {
    const dir = join(layout.v1.get(c) ?? '/nonexistent', own.get(c) ?? '/');
    return existsSync(dir) ? readdirSync(dir).filter((entry) => entry.includes(`-${process.pid}-`)).map((entry) => `${c}:${entry}`) : [];
  });
}

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8').trim();

describe.skipIf(!canRun)('cgroup v1 manager on this host (root; skipped otherwise)', () => {
  test('create, limits read back, a process joins, killAll, destroy leaves nothing', async () => {
    const before = siblingListing();
    const manager = newManager();
    const name = uniqueName('c-test-v1');
    manager.create(name, {
      memory: { limit: 64 * 2 ** 20, reservation: 32 * 2 ** 20 },
      cpu: { shares: 512, quota: 20000, period: 100000, cpus: '0', mems: '0' },
      pids: { limit: 10 },
    });
    const dirs = new Map(manager.directories().map((dir) => [dir.split('/')[4], dir]));
    expect(read(dirs.get('memory') ?? '', 'memory.limit_in_bytes')).toBe(String(64 * 2 ** 20));
    expect(read(dirs.get('memory') ?? '', 'memory.soft_limit_in_bytes')).toBe(String(32 * 2 ** 20));
    expect(read(dirs.get('cpu') ?? '', 'cpu.shares')).toBe('512');
    expect(read(dirs.get('cpu') ?? '', 'cpu.cfs_quota_us')).toBe('20000');
    expect(read(dirs.get('cpuset') ?? '', 'cpuset.cpus')).toBe('0');
    expect(read(dirs.get('pids') ?? '', 'pids.max')).toBe('10');

    const sleeper = spawnWaiting('exec sleep 30', children);
    manager.addProcess(sleeper.pid);
    const procCgroup = readFileSync(`/proc/${sleeper.pid}/cgroup`, 'utf8');
    expect(procCgroup).toMatch(new RegExp(`:memory:.*/${name}\\n`));
    expect(procCgroup).toMatch(new RegExp(`:pids:.*/${name}\\n`));
    expect(manager.pids()).toEqual([sleeper.pid]);
    const stats = manager.stats();
    expect(stats.pids).toEqual({ current: 1, limit: 10 });
    expect(stats.memory.limit).toBe(64 * 2 ** 20);

    await manager.killAll();
    expect((await sleeper.exit).signal).toBe('SIGKILL');
    await manager.destroy();
    for (const dir of dirs.values()) expect(existsSync(dir)).toBe(false);
    expect(siblingListing()).toEqual(before);
  });

  test('a process allocating beyond memory.limit is OOM-killed and the counter rises', async () => {
    const manager = newManager();
    manager.create(uniqueName('c-test-oom'), { memory: { limit: 32 * 2 ** 20 } });
    expect(manager.stats().memory.oomKills).toBe(0);
    expect(manager.oomKills()).toBe(0);
    // awk builds a 256 MiB string one doubling at a time: far past the 32 MiB limit.
    const hog = spawnWaiting(`exec awk 'BEGIN { s = "x"; for (i = 0; i < 28; i++) s = s s; print length(s) }'`, children);
    manager.addProcess(hog.pid);
    hog.release();
    const result = await hog.exit;
    expect(result.signal).toBe('SIGKILL');
    expect(result.stdout).toBe('');
    const stats = manager.stats();
    expect(stats.memory.oomKills).toBeGreaterThanOrEqual(1);
    expect(manager.oomKills()).toBe(stats.memory.oomKills);
    expect(stats.memory.limitHits).toBeGreaterThan(0);
    expect(stats.memory.maxUsage).toBeGreaterThan(16 * 2 ** 20);
  });

  test('the pids limit refuses fork', async () => {
    const manager = newManager();
    manager.create(uniqueName('c-test-pids'), { pids: { limit: 3 } });
    const forker = spawnWaiting('for i in 1 2 3 4 5 6; do sleep 1 & done; wait', children);
    manager.addProcess(forker.pid);
    forker.release();
    const result = await forker.exit;
    expect(result.stderr).toMatch(/fork|Resource temporarily unavailable/i);
  });

  test('freeze stops, thaw resumes; killAll with SIGTERM', async () => {
    const manager = newManager();
    manager.create(uniqueName('c-test-frz'));
    const sleeper = spawnWaiting('exec sleep 30', children);
    manager.addProcess(sleeper.pid);
    await manager.freeze();
    const freezer = manager.directories().find((d) => d.includes('/freezer/')) ?? '';
    expect(read(freezer, 'freezer.state')).toBe('FROZEN');
    await manager.thaw();
    expect(read(freezer, 'freezer.state')).toBe('THAWED');
    await manager.killAll(15);
    expect((await sleeper.exit).signal).toBe('SIGTERM');
  });

  test('memory+swap limits change in a safe order, up and down; blkio weight lands in the BFQ file', () => {
    const manager = newManager();
    manager.create(uniqueName('c-test-swap'), { memory: { limit: 64 * 2 ** 20, swap: 128 * 2 ** 20 }, blockIO: { weight: 500 } });
    const memory = manager.directories().find((d) => d.includes('/memory/')) ?? '';
    const limits = () => [read(memory, 'memory.limit_in_bytes'), read(memory, 'memory.memsw.limit_in_bytes')].map((v) => Number(v) / 2 ** 20);
    expect(limits()).toEqual([64, 128]);
    // Down: memory must go first (memsw may not drop below it).
    manager.apply({ memory: { limit: 32 * 2 ** 20, swap: 32 * 2 ** 20 } });
    expect(limits()).toEqual([32, 32]);
    // Up: memsw must go first.
    manager.apply({ memory: { limit: 256 * 2 ** 20, swap: 512 * 2 ** 20 } });
    expect(limits()).toEqual([256, 512]);
    const blkio = manager.directories().find((d) => d.includes('/blkio/')) ?? '';
    const weightFile = existsSync(join(blkio, 'blkio.weight')) ? 'blkio.weight' : 'blkio.bfq.weight';
    expect(read(blkio, weightFile)).toMatch(/(^|\s)500$/);
  });

  test('device rules: deny all, then allow /dev/null; devices.list shows only that', () => {
    const manager = newManager();
    manager.create(uniqueName('c-test-dev'), {
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
        { allow: true, type: 'c', major: 136, access: 'rw' },
      ],
    });
    const devices = manager.directories().find((d) => d.includes('/devices/')) ?? '';
    expect(read(devices, 'devices.list').split('\n').sort()).toEqual(['c 136:* rw', 'c 1:3 rwm']);
  });

  test('attach binds a later manager to an existing cgroup without creating one', async () => {
    const name = uniqueName('c-test-att');
    const first = newManager();
    first.create(name, { pids: { limit: 9 } });
    const sleeper = spawnWaiting('exec sleep 30', children);
    first.addProcess(sleeper.pid);

    const later = createCgroupManager({ version: 1, layout });
    expect(later.attach(name)).toBe(true);
    expect(later.path).toBe(name);
    expect(later.pids()).toEqual([sleeper.pid]);
    expect(later.stats().pids.limit).toBe(9);
    await later.freeze();
    expect(first.isFrozen()).toBe(true);
    await later.thaw();
    expect(first.isFrozen()).toBe(false);
    await later.killAll();
    expect((await sleeper.exit).signal).toBe('SIGKILL');
    await later.destroy();
    expect(first.directories().every((dir) => !existsSync(dir))).toBe(true);
    expect(createCgroupManager({ version: 1, layout }).attach(uniqueName('c-test-none'))).toBe(false);
  });

  test('a value the kernel refuses is reported with its file', () => {
    const manager = newManager();
    manager.create(uniqueName('c-test-bad'));
    expect(() => manager.apply({ cpu: { cpus: '4096' } })).toThrow(/write\(.*cpuset\.cpus, "4096"\) failed: E/);
    expect(() => manager.apply({ unified: { 'memory.high': '1' } })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
  });

  test('cgroups nest under our own cgroup (a relative path) and parents are left alone', async () => {
    const manager = newManager();
    const name = uniqueName('c-test-nest');
    manager.create(`${name}/inner`);
    const memoryDir = manager.directories().find((d) => d.includes('/memory/')) ?? '';
    expect(memoryDir).toBe(join(layout.v1.get('memory') ?? '', ownCgroups().get('memory') ?? '/', name, 'inner'));
    await manager.destroy();
    // destroy removes the container's cgroup, not the parent it created on the way: the test removes those.
    for (const c of ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'blkio', 'freezer', 'devices']) {
      const dir = join(layout.v1.get(c) ?? '/nonexistent', ownCgroups().get(c) ?? '/', name);
      if (existsSync(dir)) rmdirSync(dir);
      expect(existsSync(dirname(dir)) || !layout.v1.has(c)).toBe(true);
    }
  });
});
