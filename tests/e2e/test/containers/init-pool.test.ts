/**
 * The engine's warm pool of pre-started inits (decision 0013): containers started from it behave exactly like
 * cold ones, nothing leaks across 100 starts, and no pooled init outlives the engine or the daemon.
 */
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContainerService } from '@c/engine';
import { containerCgroups, containerProcesses, logText, mountsUnder, openService, removeAll, setup, until, type Env } from './support';
import { ensureDaemonBuilt, startDaemonProcess } from '../daemon/support/daemon-process';

const CONTAINER_CGROUP = /:\/c\/[0-9a-f]{64}/;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The state letter of /proc/PID/stat (R, S, Z…), undefined once reaped. */
function procState(pid: number): string | undefined {
  const stat = read(`/proc/${pid}/stat`);
  return stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** Living (not zombie) c-runtime-init children of `parent` that are in no container cgroup: the idle pool. */
function pooledInits(parent: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    if (stat === undefined) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || Number(fields[1]) !== parent) continue;
    if (!(read(`/proc/${entry}/cmdline`) ?? '').includes('c-runtime-init')) continue;
    if (CONTAINER_CGROUP.test(read(`/proc/${entry}/cgroup`) ?? '')) continue;
    out.push(Number(entry));
  }
  return out;
}

/** Whether `pid` is still a living c-runtime-init (not reaped, not a zombie). */
function initAlive(pid: number): boolean {
  const state = procState(pid);
  if (state === undefined || state === 'Z') return false;
  return (read(`/proc/${pid}/cmdline`) ?? '').includes('c-runtime-init');
}

describe('warm init pool (engine)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await setup('pool');
    env.service.close();
    env.service = await createContainerService({ root: env.root, initPool: { size: 2 }, directStart: false });
  }, 60_000);
  afterAll(async () => {
    await env.cleanup();
  }, 60_000);

  const full = () => until('two warm inits', () => env.service.warmInits === 2);

  /** Starts a container and says whether its PID 1 came from the pool. */
  async function startCounted(id: string, stdio: Parameters<Env['service']['start']>[1] = {}): Promise<{ warm: boolean; pid: number }> {
    const idle = pooledInits(process.pid);
    await env.service.start(id, stdio);
    const pid = env.service.inspect(id).State.Pid;
    return { warm: idle.includes(pid), pid };
  }

  it('keeps booted inits: PID 1 of a pid namespace of their own, empty environment, in no container cgroup', async () => {
    await full();
    const pids = pooledInits(process.pid);
    expect(pids).toHaveLength(2);
    const ownPidNs = readlinkSync('/proc/self/ns/pid');
    for (const pid of pids) {
      expect(read(`/proc/${pid}/status`)).toMatch(new RegExp(`^NSpid:\\s+${pid}\\s+1$`, 'm'));
      expect(readlinkSync(`/proc/${pid}/ns/pid`)).not.toBe(ownPidNs);
      expect(read(`/proc/${pid}/environ`)).toBe('');
      // Blocked reading its plan, not polling: it uses no CPU while idle. Waited for: an init that has just reported
      // ready can still be runnable (R) on its way to that read when a loaded machine has not scheduled it yet.
      await until(`pooled init ${pid} asleep in its read`, () => procState(pid) === 'S', 10_000);
    }
    // Not containers.
    expect(env.service.list({ all: true })).toEqual([]);
  });

  it('a pooled start logs stdout and stderr apart, passes env and returns the exit code, like a cold one', async () => {
    await full();
    const c = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'echo out; echo "$FOO" >&2; exit 3'], env: ['FOO=bar'] });
    const started = await startCounted(c.Id);
    expect(started.warm).toBe(true);
    expect(await env.service.wait(c.Id)).toEqual({ StatusCode: 3 });
    const entries: string[][] = [];
    for await (const e of env.service.logs(c.Id)) entries.push([e.stream, e.line]);
    expect(entries.sort()).toEqual([
      ['stderr', 'bar\n'],
      ['stdout', 'out\n'],
    ]);
  }, 60_000);

  it('tty and stdin reach the payload of a pooled init (the pty is its controlling terminal)', async () => {
    await full();
    const t = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'test -t 0 && test -t 1 && test -t 2 && echo on-a-tty'], tty: true });
    expect((await startCounted(t.Id)).warm).toBe(true);
    expect(await env.service.wait(t.Id)).toEqual({ StatusCode: 0 });
    expect(await logText(env.service, t.Id)).toBe('on-a-tty\r\n');

    await full();
    const it2 = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'read x; echo "got $x"'], tty: true, openStdin: true });
    const keys = new PassThrough();
    let screen = '';
    expect((await startCounted(it2.Id, { stdin: keys, stdout: new PassThrough().on('data', (d: Buffer) => (screen += d.toString())) })).warm).toBe(true);
    keys.write('typed\r');
    expect(await env.service.wait(it2.Id)).toEqual({ StatusCode: 0 });
    expect(screen).toContain('got typed');

    await full();
    const s = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'read x; echo got $x; cat'], openStdin: true });
    const input = new PassThrough();
    expect((await startCounted(s.Id, { stdin: input })).warm).toBe(true);
    input.write('hello\n');
    input.end('more\n');
    expect(await env.service.wait(s.Id)).toEqual({ StatusCode: 0 });
    expect(await logText(env.service, s.Id)).toBe('got hello\nmore\n');
  }, 60_000);

  it('the memory limit binds a pooled container (OOM-killed, recorded)', async () => {
    await full();
    const c = await env.service.create({
      image: 'busybox:e2e',
      cmd: ['sh', '-c', 'x=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; while true; do x="$x$x"; done'],
      memory: 16 * 1024 * 1024,
    });
    expect((await startCounted(c.Id)).warm).toBe(true);
    expect((await env.service.wait(c.Id)).StatusCode).toBe(137);
    expect(env.service.inspect(c.Id).State.OOMKilled).toBe(true);
  }, 60_000);

  it('100 starts through the pool leave no process, cgroup or mount behind', async () => {
    await removeAll(env.service);
    let warm = 0;
    const ids: string[] = [];
    const started = performance.now();
    for (let i = 0; i < 100; i++) {
      const c = await env.service.create({ image: 'busybox:e2e', cmd: ['true'] });
      ids.push(c.Id);
      if ((await startCounted(c.Id)).warm) warm += 1;
      expect(await env.service.wait(c.Id)).toEqual({ StatusCode: 0 });
      await env.service.remove(c.Id);
    }
    const ms = performance.now() - started;
    process.stderr.write(`init pool: 100 create+start+wait+remove of true in ${ms.toFixed(0)} ms, ${warm} from the pool\n`);
    // Refills happen between starts; on a loaded machine some starts find the pool empty and go cold.
    expect(warm).toBeGreaterThan(0);
    expect(env.service.list({ all: true })).toEqual([]);
    // Only this test's containers count: other suites may run containers on this machine meanwhile.
    const ours = (path: string) => ids.some((id) => path.includes(id));
    expect(containerCgroups().filter(ours)).toEqual([]);
    expect(containerProcesses().filter((pid) => ours(read(`/proc/${pid}/cgroup`) ?? ''))).toEqual([]);
    expect(mountsUnder(env.root)).toEqual([]);
    expect(pooledInits(process.pid).length).toBeLessThanOrEqual(2);
  }, 300_000);

  it('close() kills every idle pooled init', async () => {
    await full();
    const pids = pooledInits(process.pid);
    expect(pids).toHaveLength(2);
    env.service.close();
    await until('pooled inits to die', () => pids.every((pid) => !initAlive(pid)), 10_000);
    env.service = await openService(env.root);
  });
});

describe('warm init pool (c-daemon)', () => {
  let dir: string;
  beforeAll(async () => {
    await ensureDaemonBuilt();
    dir = mkdtempSync(join(tmpdir(), 'c-pool-daemon-'));
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('no pooled init survives a daemon stop (SIGTERM) or a daemon crash (SIGKILL)', async () => {
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const daemon = await startDaemonProcess(join(dir, `${signal}.sock`), join(dir, `root-${signal}`), { C_INIT_POOL: '2', C_RUNTIME_DIRECT: '0' });
      try {
        const pid = daemon.child.pid!;
        await until(`the daemon's two pooled inits\n${daemon.logs()}`, () => pooledInits(pid).length === 2);
        const pids = pooledInits(pid);
        if (signal === 'SIGTERM') expect(await daemon.stop()).toBe(0);
        else {
          daemon.child.kill('SIGKILL');
          await daemon.stop();
        }
        // SIGTERM: the daemon kills them; SIGKILL: their sync socket reaches EOF and they exit by themselves.
        await until(`pooled inits of a daemon stopped by ${signal} to die`, () => pids.every((p) => !initAlive(p)), 10_000);
      } finally {
        await daemon.stop();
      }
    }
  }, 120_000);

  it('--init-pool 0 (C_INIT_POOL=0) starts no pooled init', async () => {
    const daemon = await startDaemonProcess(join(dir, 'zero.sock'), join(dir, 'root-zero'), { C_INIT_POOL: '0' });
    try {
      await new Promise((r) => setTimeout(r, 1000));
      expect(pooledInits(daemon.child.pid!)).toEqual([]);
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  }, 60_000);
});
