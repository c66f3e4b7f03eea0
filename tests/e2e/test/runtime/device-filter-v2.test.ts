// Privileged: the cgroup-v2 device filter (an eBPF CGROUP_DEVICE program) on the real kernel. This hybrid host
// has a cgroup2 mount without controllers, which is all BPF_CGROUP_DEVICE needs, so the program the runtime
// uses on pure v2 hosts is loaded, enforced and replaced here for real.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// The cgroup managers are internal to @c/runtime (not in its exports): the test reaches them through the sources.
import { CgroupV2Manager, detectCgroupLayout, type LinuxDeviceCgroup } from '../../../../packages/runtime/src/cgroups/index';
import { attachedDevicePrograms, bpfProgFds } from '../../../../packages/runtime/src/cgroups/test-helpers';
import { isRoot } from './helpers';

const v2Root = detectCgroupLayout().v2;
const canRun = isRoot() && v2Root !== undefined && existsSync(join(v2Root, 'cgroup.procs'));
if (!canRun) console.warn('device-filter-v2: skipped: needs root and a cgroup2 mount');

const NULL_ONLY: LinuxDeviceCgroup[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
];
const NULL_AND_ZERO: LinuxDeviceCgroup[] = [...NULL_ONLY, { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }]; // + /dev/zero

const children: ChildProcess[] = [];
/** Names of the test cgroups under the cgroup2 root. */
const cgroupNames: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const name of cgroupNames.splice(0)) {
    const dir = join(v2Root ?? '', name);
    if (!existsSync(dir)) continue;
    // A fresh manager removes it, as `delete` does; rmdir by hand if that failed halfway.
    const manager = new CgroupV2Manager({ root: v2Root ?? '', own: '/' });
    try {
      if (manager.attach(`/${name}`)) {
        await manager.killAll();
        await manager.destroy();
      }
    } finally {
      if (existsSync(dir)) rmdirSync(dir);
    }
  }
});

/** Runs `script` in a shell that is moved into the cgroup at `dir` before it starts. */
async function runIn(dir: string, script: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const child = spawn('/bin/sh', ['-c', `read _; ${script}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  writeFileSync(join(dir, 'cgroup.procs'), String(child.pid));
  child.stdin.end('go\n');
  const code = await exit;
  return { stdout, stderr, code };
}

const PROBE = 'echo x >/dev/null && echo null-ok; head -c 1 /dev/zero | wc -c; head -c 1 /dev/full | wc -c';

describe.skipIf(!canRun)('cgroup v2 device filter on the real kernel (root; skipped otherwise)', () => {
  it('enforces the rules, keeps no program fd, and a fresh manager replaces (not stacks) the program', async () => {
    const name = `c-e2e-devfilter-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const dir = join(v2Root ?? '', name);
    cgroupNames.push(name);
    const fdsBefore = bpfProgFds();

    // The object that creates the cgroup and applies the rules is dropped afterwards, as the daemon's build
    // threads drop theirs: it must not hold the program's fd.
    new CgroupV2Manager({ root: v2Root ?? '', own: '/' }).create(`/${name}`, { devices: NULL_ONLY });
    expect(bpfProgFds()).toBe(fdsBefore);
    const first = attachedDevicePrograms(dir);
    expect(first).toHaveLength(1);

    const denied = await runIn(dir, PROBE);
    expect(denied.stdout).toBe('null-ok\n0\n0\n');
    expect(denied.stderr).toMatch(/\/dev\/zero.*Operation not permitted/);
    expect(denied.stderr).toMatch(/\/dev\/full.*Operation not permitted/);

    // `update` makes a fresh manager from the path: its rules must replace the first program, not add to it
    // (with BPF_F_ALLOW_MULTI every attached program must allow, so a stacked old one would keep denying /dev/zero).
    const fresh = new CgroupV2Manager({ root: v2Root ?? '', own: '/' });
    expect(fresh.attach(`/${name}`)).toBe(true);
    fresh.apply({ devices: NULL_AND_ZERO });
    expect(bpfProgFds()).toBe(fdsBefore);
    const second = attachedDevicePrograms(dir);
    expect(second).toHaveLength(1);
    expect(second).not.toEqual(first);

    const allowed = await runIn(dir, PROBE);
    expect(allowed.stdout).toBe('null-ok\n1\n0\n');
    expect(allowed.stderr).toMatch(/\/dev\/full.*Operation not permitted/);
    expect(allowed.stderr).not.toMatch(/\/dev\/zero/);

    // A third object (as `delete` makes) removes the cgroup, programs and all.
    const remover = new CgroupV2Manager({ root: v2Root ?? '', own: '/' });
    expect(remover.attach(`/${name}`)).toBe(true);
    await remover.destroy();
    expect(existsSync(dir)).toBe(false);
    expect(bpfProgFds()).toBe(fdsBefore);
  });
});
