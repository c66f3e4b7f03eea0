import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingSyscalls } from '@c/namespaces';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CgroupV2Manager } from './v2';

// A directory that imitates a cgroup2 mount: the files the kernel would create are written by the test.
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'c-cg2-fake-'));
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
  writeFileSync(join(root, 'cgroup.subtree_control'), '');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const read = (...parts: string[]) => readFileSync(join(root, ...parts), 'utf8');

/** What the kernel does on mkdir: the new cgroup offers what its parent enabled. */
function kernelLikeDir(path: string, controllers: string): void {
  mkdirSync(join(root, path), { recursive: true });
  writeFileSync(join(root, path, 'cgroup.controllers'), controllers);
  writeFileSync(join(root, path, 'cgroup.subtree_control'), '');
}

describe('CgroupV2Manager on a fake root', () => {
  test('create enables controllers down the path and writes every limit', () => {
    kernelLikeDir('c', 'cpuset cpu io memory pids');
    kernelLikeDir('c/abc', 'cpuset cpu io memory pids');
    const manager = new CgroupV2Manager({ root });
    manager.create('/c/abc', {
      memory: { limit: 64 * 2 ** 20, swap: 96 * 2 ** 20, reservation: 32 * 2 ** 20 },
      cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
      pids: { limit: 20 },
      blockIO: { weight: 500 },
      unified: { 'memory.high': '60M' },
    });
    expect(read('cgroup.subtree_control')).toBe('+cpu +cpuset +io +memory +pids');
    expect(read('c', 'cgroup.subtree_control')).toBe('+cpu +cpuset +io +memory +pids');
    expect(read('c/abc', 'memory.max')).toBe(String(64 * 2 ** 20));
    expect(read('c/abc', 'memory.swap.max')).toBe(String(32 * 2 ** 20));
    expect(read('c/abc', 'memory.low')).toBe(String(32 * 2 ** 20));
    expect(read('c/abc', 'cpu.weight')).toBe('20');
    expect(read('c/abc', 'cpu.max')).toBe('50000 100000');
    expect(read('c/abc', 'cpuset.cpus')).toBe('0');
    expect(read('c/abc', 'pids.max')).toBe('20');
    expect(read('c/abc', 'io.weight')).toBe('default 4950');
    expect(read('c/abc', 'memory.high')).toBe('60M');
    expect(manager.directories()).toEqual([join(root, 'c/abc')]);
  });

  test('only controllers the parent offers are enabled, and limits on missing ones are refused', () => {
    writeFileSync(join(root, 'cgroup.controllers'), 'hugetlb\n');
    kernelLikeDir('c', '');
    const manager = new CgroupV2Manager({ root });
    manager.create('/c');
    expect(read('cgroup.subtree_control')).toBe('');
    expect(() => manager.apply({ memory: { limit: 1 << 20 } })).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringMatching(/memory controller/) }),
    );
  });

  test('relative paths are placed under our own cgroup; .. is refused', () => {
    kernelLikeDir('user.slice/me/ctr', 'pids');
    const manager = new CgroupV2Manager({ root, own: '/user.slice/me' });
    manager.create('ctr', { pids: { limit: 5 } });
    expect(read('user.slice/me/ctr', 'pids.max')).toBe('5');
    expect(() => new CgroupV2Manager({ root }).create('/c/../../x')).toThrow(/'\.\.'/);
    expect(existsSync(join(root, '..', 'x'))).toBe(false);
  });

  test('stats parse memory.events, cpu.stat and pids', () => {
    kernelLikeDir('s', 'memory pids cpu');
    const dir = join(root, 's');
    const manager = new CgroupV2Manager({ root });
    manager.create('/s');
    writeFileSync(join(dir, 'memory.current'), '1048576\n');
    writeFileSync(join(dir, 'memory.peak'), '2097152\n');
    writeFileSync(join(dir, 'memory.max'), 'max\n');
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\noom_group_kill 0\n');
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\nnr_throttled 3\n');
    writeFileSync(join(dir, 'memory.stat'), 'anon 4096\nfile 8192\ninactive_file 4096\nactive_file 4096\n');
    writeFileSync(join(dir, 'io.stat'), '8:0 rbytes=1000 wbytes=24 rios=3 wios=1 dbytes=0 dios=0\n254:0 rbytes=1 wbytes=2 rios=1 wios=1 dbytes=0 dios=0\n');
    writeFileSync(join(dir, 'pids.current'), '4\n');
    writeFileSync(join(dir, 'pids.max'), '10\n');
    expect(manager.stats()).toEqual({
      memory: { usage: 1048576, maxUsage: 2097152, limit: undefined, oomKills: 2, limitHits: 7, inactiveFile: 4096 },
      io: { readBytes: 1001, writeBytes: 26 },
      cpu: { usageNs: 1_500_000, userNs: 1_000_000, systemNs: 500_000, throttledPeriods: 3 },
      pids: { current: 4, limit: 10 },
    });
    expect(manager.oomKills()).toBe(2);
  });

  test('killAll with a non-KILL signal freezes, signals every pid, thaws', async () => {
    kernelLikeDir('k', 'pids');
    const dir = join(root, 'k');
    kernelLikeDir('k/sub', '');
    writeFileSync(join(dir, 'cgroup.procs'), '101\n102\n');
    writeFileSync(join(dir, 'sub', 'cgroup.procs'), '103\n');
    writeFileSync(join(dir, 'cgroup.events'), 'populated 1\nfrozen 0\n');
    const sys = new RecordingSyscalls().failOn('kill', 'ESRCH', { when: (args) => args[0] === 102 });
    const manager = new CgroupV2Manager({ root, syscalls: sys });
    manager.create('/k');
    // The fake kernel: flip cgroup.events whenever cgroup.freeze is written.
    const freezes: string[] = [];
    const events = setInterval(() => {
      const want = existsSync(join(dir, 'cgroup.freeze')) ? read('k', 'cgroup.freeze') : '0';
      if (freezes.at(-1) !== want) freezes.push(want);
      writeFileSync(join(dir, 'cgroup.events'), `populated 1\nfrozen ${want}\n`);
    }, 1);
    try {
      await manager.killAll(15);
    } finally {
      clearInterval(events);
    }
    expect(sys.callsOf('kill')).toEqual([
      [101, 15],
      [102, 15],
      [103, 15],
    ]);
    expect(freezes).toEqual(['1', '0']);
    expect(read('k', 'cgroup.freeze')).toBe('0');
  });

  test('attach binds to an existing cgroup only; isFrozen reads cgroup.events', () => {
    kernelLikeDir('c/live', 'pids');
    writeFileSync(join(root, 'c/live', 'cgroup.events'), 'populated 1\nfrozen 1\n');
    const manager = new CgroupV2Manager({ root });
    expect(manager.attach('/c/missing')).toBe(false);
    expect(manager.path).toBeUndefined();
    expect(existsSync(join(root, 'c/missing'))).toBe(false);
    expect(manager.attach('/c/live')).toBe(true);
    expect(manager.path).toBe('/c/live');
    expect(manager.isFrozen()).toBe(true);
    // attach changes nothing: no controllers were enabled on the way down.
    expect(read('cgroup.subtree_control')).toBe('');
  });

  test('killAll(SIGKILL) writes cgroup.kill when the kernel has it, else freezes and signals each pid', async () => {
    kernelLikeDir('a', 'pids');
    writeFileSync(join(root, 'a', 'cgroup.kill'), '');
    writeFileSync(join(root, 'a', 'cgroup.procs'), '');
    const withKill = new CgroupV2Manager({ root, syscalls: new RecordingSyscalls() });
    withKill.create('/a');
    await withKill.killAll();
    expect(read('a', 'cgroup.kill')).toBe('1');

    // Without cgroup.kill (Linux < 5.14): the fake kernel removes a pid from cgroup.procs when it is killed.
    kernelLikeDir('b', 'pids');
    const dir = join(root, 'b');
    writeFileSync(join(dir, 'cgroup.procs'), '201\n202\n');
    writeFileSync(join(dir, 'cgroup.events'), 'populated 1\nfrozen 0\n');
    const sys = new RecordingSyscalls().respond('kill', (pid) => {
      const left = read('b', 'cgroup.procs').split('\n').filter((p) => p && Number(p) !== pid);
      writeFileSync(join(dir, 'cgroup.procs'), left.map((p) => `${p}\n`).join(''));
    });
    const events = setInterval(() => {
      const want = existsSync(join(dir, 'cgroup.freeze')) ? read('b', 'cgroup.freeze') : '0';
      writeFileSync(join(dir, 'cgroup.events'), `populated 1\nfrozen ${want}\n`);
    }, 1);
    try {
      const manager = new CgroupV2Manager({ root, syscalls: sys });
      manager.create('/b');
      await manager.killAll();
      expect(sys.callsOf('kill')).toEqual([
        [201, 9],
        [202, 9],
      ]);
      expect(manager.pids()).toEqual([]);
    } finally {
      clearInterval(events);
    }
  });

  test('methods before create fail with a hint', () => {
    const manager = new CgroupV2Manager({ root });
    expect(() => manager.addProcess(1)).toThrow(expect.objectContaining({ code: 'CONFLICT', hint: 'call create() first' }));
  });
});
