// Privileged: `run` in one process (the CLI builds the container, a generated program is PID 1) gives the container
// exactly what the two-process start (C_RUNTIME_DIRECT=0: a Node init) gives it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Spec } from '@c/runtime';
import { CLI, UID_1000_STATUS, ensureBuilt, isRoot, makeBundle, uniqueId, workspace } from './helpers';

const ws = workspace('direct');
beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => ws.cleanup());

function runWith(env: Record<string, string>, bundle: string, id: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--root', ws.state, '--debug', 'run', '--bundle', bundle, id], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// Everything the runtime sets up for the process, as one text to compare.
const PROBE = [
  'ls /proc > /tmp/procs; echo "pid=$$ procs=$(grep -cE "^[0-9]+$" /tmp/procs) exe=$(readlink /proc/1/exe)"',
  'grep -E "^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status',
  'echo "nofile=$(ulimit -n) host=$(hostname) cwd=$(pwd) env=$PROBE_ENV"',
  // Into a file, then counted: in a pipeline, whether `wc` has joined the cgroup when `cat` reads it is a race.
  'cat /proc/self/cgroup; ls /sys/fs/cgroup | head -3; cat /sys/fs/cgroup/pids/cgroup.procs /sys/fs/cgroup/memory/cgroup.procs > /tmp/members 2>&1; wc -l < /tmp/members',
  'mkdir /tmp/denied 2>&1 || echo mkdir-refused',
  'cat /proc/self/oom_score_adj; grep -c . /proc/self/mountinfo',
  'exit 9',
].join('; ');

function probeBundle(edit: (s: Spec) => void): string {
  return makeBundle(ws.dir, ['sh', '-c', PROBE], (s) => {
    s.process!.env = [...(s.process!.env ?? []), 'PROBE_ENV=seen'];
    s.process!.cwd = '/tmp';
    s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 321, hard: 654 }];
    s.process!.oomScoreAdj = 200;
    s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
    // The cgroup tree as the container sees it (mounted from inside its cgroup namespace).
    s.mounts = [...(s.mounts ?? []), { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] }];
    edit(s);
  }).dir;
}

describe.skipIf(!isRoot() || process.arch !== 'x64')('c-runtime run in one process', () => {
  it('matches the two-process start: root, seccomp loaded before the identity (no no_new_privs)', async () => {
    const bundle = probeBundle((s) => {
      s.process!.noNewPrivileges = false;
    });
    const directId = uniqueId('direct');
    const initId = uniqueId('init');
    const direct = await runWith({}, bundle, directId);
    const init = await runWith({ C_RUNTIME_DIRECT: '0' }, bundle, initId);
    expect(direct.code).toBe(9);
    expect(init.code).toBe(9);
    expect(direct.stderr).toMatch(/started in this process/);
    expect(init.stderr).toMatch(/started through a container init/);
    expect(direct.stdout).toMatch(/^pid=1 procs=2 exe=\/bin\/busybox\n/); // sh and ls: only the container's
    expect(direct.stdout).toContain('mkdir-refused');
    expect(direct.stdout).toContain('nofile=321 host=e2e-box cwd=/tmp env=seen');
    expect(direct.stdout).toMatch(/Seccomp:\s+2/);
    expect(direct.stdout).toMatch(/^0::\/$/m); // its own cgroup namespace
    expect(direct.stdout.replaceAll(directId, 'ID')).toBe(init.stdout.replaceAll(initId, 'ID'));
  });

  it('uid 1000 with groups, an ambient capability and no_new_privs: runc\'s capability semantics, both ways', async () => {
    const bundle = probeBundle((s) => {
      s.process!.user = { uid: 1000, gid: 1000, additionalGids: [100, 1000] };
      s.process!.noNewPrivileges = true;
      const caps = ['CAP_NET_BIND_SERVICE', 'CAP_KILL'];
      s.process!.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: caps, ambient: ['CAP_NET_BIND_SERVICE'] };
    });
    const directId = uniqueId('direct-user');
    const initId = uniqueId('init-user');
    const r = await runWith({}, bundle, directId);
    expect(r.stderr).toMatch(/started in this process/);
    expect(r.code).toBe(9);
    // The two-process start (its init holds exec.fifo from before the uid switch) gives the same process.
    const init = await runWith({ C_RUNTIME_DIRECT: '0' }, bundle, initId);
    expect(init.stderr).toMatch(/started through a container init/);
    expect(init.code).toBe(9);
    expect(init.stdout.replaceAll(initId, 'ID')).toBe(r.stdout.replaceAll(directId, 'ID'));
    for (const line of [
      ...UID_1000_STATUS,
      /^NoNewPrivs:\s+1$/m,
      /^Seccomp:\s+2$/m,
    ]) expect(r.stdout).toMatch(line);
    expect(r.stdout).toContain('mkdir-refused');
  });

  it('reports a failed final step and cleans up', async () => {
    const bundle = makeBundle(ws.dir, ['true'], (s) => {
      s.process!.user = { uid: 0, gid: 0, additionalGids: Array.from({ length: 70_000 }, (_, i) => i) }; // > NGROUPS_MAX
    }).dir;
    const id = uniqueId('fail');
    const r = await runWith({}, bundle, id);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('c-runtime init: setgroups failed');
    expect(existsSync(join(ws.state, id))).toBe(false);
  });
  it('does not load child_process: the first process is posix_spawned, not forked through libuv', async () => {
    const bundle = makeBundle(ws.dir, ['true']).dir;
    const probe = join(ws.dir, 'modules-probe.cjs');
    const report = join(ws.dir, 'modules.json');
    writeFileSync(probe, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(process.moduleLoadList)));\n`);
    const result = await runWith({ NODE_OPTIONS: `--require ${probe}` }, bundle, uniqueId('modules'));
    expect(result).toMatchObject({ code: 0, stderr: expect.stringContaining('started in this process') });
    const natives = (JSON.parse(readFileSync(report, 'utf8')) as string[]).filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
    expect(natives).toContain('fs');
    // (net may load here only because this test's stdio are pipes: process.stderr is then a net.Socket.)
    expect(natives).not.toContain('child_process');
  });
});
