// Privileged: create/start/state/kill/delete/exec/ps/list, compared with runc where it matters.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt, isRoot, makeBundle, makeRootfs, uniqueId, workspace } from './helpers';

const ws = workspace('life');
beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => ws.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Generous: each step runs a c-runtime process, and a loaded 2-core CI machine can take seconds for a few of them.
async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await sleep(50);
  }
}

async function state(id: string): Promise<Record<string, unknown>> {
  const r = await cli(ws.state, ['state', id]);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

describe.skipIf(!isRoot())('c-runtime lifecycle', () => {
  it('create → created (process not yet running), start → running, kill → stopped, delete → gone', async () => {
    const marker = '/tmp/started';
    const bundle = makeBundle(ws.dir, ['sh', '-c', `touch ${marker}; trap "exit 3" TERM; while true; do sleep 0.05; done`]);
    const id = uniqueId('life');
    const pidFile = join(ws.dir, `${id}.pid`);
    const created = await cli(ws.state, ['create', '--bundle', bundle.dir, '--pid-file', pidFile, id]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const s1 = await state(id);
    expect(s1.status).toBe('created');
    expect(s1.pid).toBe(Number(readFileSync(pidFile, 'utf8')));
    expect(existsSync(join(bundle.rootfs, marker))).toBe(false);
    // exec is refused until the container runs: no foreign process may enter while the init is still node.
    expect((await cli(ws.state, ['exec', id, 'true'])).stderr).toMatch(/cannot exec in a created container/);

    expect((await cli(ws.state, ['start', id])).code).toBe(0);
    expect((await state(id)).status).toBe('running');
    await waitFor(async () => existsSync(join(bundle.rootfs, marker)), (v) => v);
    expect(existsSync(join(bundle.rootfs, marker))).toBe(true);

    const list = await cli(ws.state, ['list', '--format', 'json']);
    expect((JSON.parse(list.stdout) as { id: string; status: string }[]).find((c) => c.id === id)?.status).toBe('running');
    expect((await cli(ws.state, ['delete', id])).stderr).toMatch(/not stopped: running/);

    expect((await cli(ws.state, ['kill', id, 'TERM'])).code).toBe(0);
    const stopped = await waitFor(() => state(id), (s) => s.status === 'stopped');
    expect(stopped.status).toBe('stopped');
    expect((await cli(ws.state, ['delete', id])).code).toBe(0);
    expect((await cli(ws.state, ['state', id])).stderr).toMatch(/container does not exist/);
  });

  it('a handler-less PID 1 ignores SIGTERM; SIGKILL stops it and run reports 137', async () => {
    const bundle = makeBundle(ws.dir, ['sleep', '30']);
    const id = uniqueId('term');
    const running = cli(ws.state, ['run', '--bundle', bundle.dir, id]);
    await waitFor(() => cli(ws.state, ['state', id]), (r) => r.stdout.includes('"running"'));
    expect((await cli(ws.state, ['kill', id, 'SIGTERM'])).code).toBe(0);
    await sleep(300);
    expect((await state(id)).status).toBe('running');
    expect((await cli(ws.state, ['kill', id, '9'])).code).toBe(0);
    expect((await running).code).toBe(137);
  });

  it('exec joins every namespace and the cgroup, sees the container\'s processes and files, returns the exit code', async () => {
    const bundle = makeBundle(ws.dir, ['sh', '-c', 'echo secret > /tmp/only-here; exec sleep 30']);
    const id = uniqueId('exec');
    expect((await cli(ws.state, ['run', '--detach', '--bundle', bundle.dir, id])).code).toBe(0);
    await waitFor(async () => existsSync(join(bundle.rootfs, 'tmp/only-here')), (v) => v);
    const init = (await state(id)).pid as number;
    const r = await cli(ws.state, ['exec', id, 'sh', '-c', 'cat /tmp/only-here; hostname; ps -o pid,args | grep "sleep 30" | grep -v grep | head -1; for n in net ipc uts mnt pid; do readlink /proc/self/ns/$n; done; cat /proc/self/cgroup | grep memory; exit 42']);
    expect(r.code).toBe(42);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 2)).toEqual(['secret', 'e2e-box']);
    expect(lines[2]).toMatch(/^\s*1 sleep 30$/);
    for (const [i, ns] of ['net', 'ipc', 'uts', 'mnt', 'pid'].entries()) {
      expect(lines[3 + i]).toBe(readlinkNs(init, ns));
    }
    // Inside the container's cgroup namespace its own cgroup is "/"; a process outside it would see "/../..".
    expect(lines[8]).toMatch(/^\d+:memory:\/$/);
    const ps = await cli(ws.state, ['ps', '--format', 'json', id]);
    expect(JSON.parse(ps.stdout)).toContain(init);
    const missing = await cli(ws.state, ['exec', id, 'nope']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('exec: "nope": executable file not found in $PATH');
    expect((await cli(ws.state, ['delete', '--force', id])).code).toBe(0);
  });

  it('exec never exposes the host\'s node binary as /proc/PID/exe inside the container', async () => {
    // A watcher in the container reads every /proc/*/exe in a loop while execs come and go.
    const bundle = makeBundle(ws.dir, ['sh', '-c', 'while true; do for p in /proc/[0-9]*; do readlink $p/exe; done; done > /tmp/exes 2>/dev/null']);
    const id = uniqueId('exe');
    expect((await cli(ws.state, ['run', '--detach', '--bundle', bundle.dir, id])).code).toBe(0);
    for (let i = 0; i < 10; i++) expect((await cli(ws.state, ['exec', id, 'true'])).code).toBe(0);
    await cli(ws.state, ['delete', '--force', id]);
    const seen = new Set(readFileSync(join(bundle.rootfs, 'tmp/exes'), 'utf8').split('\n').filter(Boolean));
    expect(seen.size).toBeGreaterThan(0);
    expect([...seen].filter((exe) => /node/.test(exe))).toEqual([]);
  });

  it('pause/resume freeze the container, exec --process and exec --detach work, kill --all reaches every process', async () => {
    const bundle = makeBundle(ws.dir, ['sh', '-c', 'sleep 30 & sleep 31 & wait']);
    const id = uniqueId('more');
    expect((await cli(ws.state, ['run', '--detach', '--bundle', bundle.dir, id])).code).toBe(0);
    try {
      await waitFor(() => cli(ws.state, ['ps', '--format', 'json', id]), (r) => (JSON.parse(r.stdout || '[]') as number[]).length >= 3);
      expect((await cli(ws.state, ['pause', id])).code).toBe(0);
      expect((await state(id)).status).toBe('paused');
      expect((await cli(ws.state, ['resume', id])).code).toBe(0);
      expect((await state(id)).status).toBe('running');

      const processFile = join(ws.dir, `${id}-process.json`);
      writeFileSync(processFile, JSON.stringify({ args: ['sh', '-c', 'echo $GREETING from $(pwd); id -u'], env: ['PATH=/bin', 'GREETING=hello'], cwd: '/tmp', user: { uid: 1000, gid: 1000 } }));
      const viaFile = await cli(ws.state, ['exec', '--process', processFile, id]);
      expect(viaFile.stdout).toBe('hello from /tmp\n1000\n');

      const pidFile = join(ws.dir, `${id}-exec.pid`);
      expect((await cli(ws.state, ['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '32'])).code).toBe(0);
      const execPid = Number(readFileSync(pidFile, 'utf8'));
      expect(JSON.parse((await cli(ws.state, ['ps', '--format', 'json', id])).stdout)).toContain(execPid);

      expect((await cli(ws.state, ['kill', '--all', id, 'KILL'])).code).toBe(0);
      const stopped = await waitFor(() => state(id), (s) => s.status === 'stopped');
      expect(stopped.status).toBe('stopped');
      expect(existsSync(`/proc/${execPid}`) && !readFileSync(`/proc/${execPid}/stat`, 'utf8').includes(') Z')).toBe(false);
    } finally {
      await cli(ws.state, ['delete', '--force', id]);
    }
  });

  it.skipIf(!hasCommand('umoci') || !hasCommand('runc'))('gives runc-shaped state JSON on a bundle from umoci unpack', async () => {
    const layout = join(ws.dir, 'oci');
    const rootfs = join(ws.dir, 'umoci-src');
    makeRootfs(rootfs);
    const sh = (cmd: string) => {
      const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
    };
    sh(`umoci init --layout ${layout} && umoci new --image ${layout}:bb && umoci insert --image ${layout}:bb ${rootfs} / && umoci config --image ${layout}:bb --config.cmd sleep --config.cmd 30`);
    const bundle = join(ws.dir, 'umoci-bundle');
    sh(`umoci unpack --image ${layout}:bb ${bundle}`);
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: { terminal: boolean } };
    config.process.terminal = false;
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));

    const id = uniqueId('umoci');
    expect((await cli(ws.state, ['create', '--bundle', bundle, id])).stderr).toBe('');
    const ours = await state(id);
    const runcRoot = join(ws.dir, 'runc-root');
    const runcId = `${id}-runc`;
    try {
      // runc's init keeps its stdio: give it none, or spawnSync would wait for the pipes forever.
      sh(`runc --root ${runcRoot} create --bundle ${bundle} ${runcId} </dev/null >/dev/null 2>&1`);
      const theirs = JSON.parse(spawnSync('runc', ['--root', runcRoot, 'state', runcId], { encoding: 'utf8' }).stdout) as Record<string, unknown>;
      expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
      for (const key of Object.keys(theirs)) expect(typeof ours[key]).toBe(typeof theirs[key]);
      expect(ours.status).toBe(theirs.status);
      expect(ours.annotations).toEqual(theirs.annotations);
      expect(ours.bundle).toBe(theirs.bundle);
      expect(ours.rootfs).toBe(theirs.rootfs);
    } finally {
      spawnSync('runc', ['--root', runcRoot, 'delete', '--force', runcId]);
      await cli(ws.state, ['delete', '--force', id]);
    }
  });
});

function readlinkNs(pid: number, ns: string): string {
  return spawnSync('readlink', [`/proc/${pid}/ns/${ns}`], { encoding: 'utf8' }).stdout.trim();
}
