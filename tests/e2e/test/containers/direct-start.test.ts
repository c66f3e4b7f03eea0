/**
 * Starts without a Node init (issue 5): the engine builds each container on its own main thread through
 * @c/runtime's runDirect and a tiny static PID 1 execs the process. These containers must behave like the
 * init-path ones, leak nothing, and a failing start must leave the engine (and the daemon) in its own namespaces.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { containerCgroups, containerProcesses, logText, mountsUnder, processesOf, removeAll, setup, until, type Env } from './support';
import { openSession, type Session } from '../daemon/support/session';
import { linuxSyscalls } from '@c/namespaces';
import { StateStore, defaultCgroupsFactory, deleteContainer, runDirect } from '@c/runtime';
import { makeBundle } from '../runtime/helpers';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** What a start must give back to the process that built the container: every namespace, its root and cwd. */
function placeOf(pid: number | string): Record<string, string> {
  const place: Record<string, string> = {};
  for (const ns of readdirSync(`/proc/${pid}/ns`)) place[ns] = readlinkSync(`/proc/${pid}/ns/${ns}`);
  place.root = readlinkSync(`/proc/${pid}/root`);
  place.cwd = readlinkSync(`/proc/${pid}/cwd`);
  return place;
}

/** The Node children of this process (a Node init would be one while it builds its container). */
function nodeChildren(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    if (stat === undefined) continue;
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;
    if ((read(`/proc/${entry}/cmdline`) ?? '').includes('c-runtime-init.')) out.push(Number(entry));
  }
  return out;
}

/** Every thread of this process in one place: a build thread that failed mid-build came back too. */
function threadPlaces(): string[] {
  return [...new Set(readdirSync('/proc/self/task').map((tid) => JSON.stringify(placeOf(`self/task/${tid}`))))];
}

describe.each([
  { threads: 0, where: 'on the event loop' },
  { threads: 2, where: 'on two build threads' },
])('direct start (engine, built $where): no Node init per container', ({ threads }) => {
  let env: Env;
  const threadErrors: unknown[] = [];
  beforeAll(async () => {
    env = await setup('direct', threads > 0 ? { buildThreads: { size: threads, onError: (error) => threadErrors.push(error) } } : {});
  }, 60_000);
  afterAll(async () => {
    await env.cleanup();
    expect(threadErrors).toEqual([]);
  }, 60_000);

  /** Starts `id` and checks that it took the direct path, on a build thread when the engine has them. */
  async function startDirect(id: string, stdio: Parameters<Env['service']['start']>[1] = {}): Promise<void> {
    const before = env.service.startPaths;
    await env.service.start(id, stdio);
    expect(env.service.startPaths).toEqual({ ...before, direct: before.direct + 1, threaded: before.threaded + (threads > 0 ? 1 : 0) });
  }

  it('logs stdout and stderr apart, passes env and returns the exit code; no Node init is spawned', async () => {
    const c = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'echo out; echo "$FOO" >&2; exit 3'], env: ['FOO=bar'] });
    await startDirect(c.Id);
    expect(nodeChildren()).toEqual([]);
    expect(await env.service.wait(c.Id)).toEqual({ StatusCode: 3 });
    const entries: string[][] = [];
    for await (const e of env.service.logs(c.Id)) entries.push([e.stream, e.line]);
    expect(entries.sort()).toEqual([
      ['stderr', 'bar\n'],
      ['stdout', 'out\n'],
    ]);
    expect(env.service.startPaths.init).toBe(0);
  }, 60_000);

  it('tty (the pty is the controlling terminal) and stdin, with and without a tty; the output worker warns of nothing', async () => {
    // The output worker closes fds this thread opened: Node's fd tracking in workers warned on each close.
    const printed: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      printed.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stderr.write;
    onTestFinished(() => {
      process.stderr.write = write;
    });
    const t = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'test -t 0 && test -t 1 && test -t 2 && echo on-a-tty'], tty: true });
    await startDirect(t.Id);
    expect(await env.service.wait(t.Id)).toEqual({ StatusCode: 0 });
    expect(await logText(env.service, t.Id)).toBe('on-a-tty\r\n');

    const it2 = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'read x; echo "got $x"'], tty: true, openStdin: true });
    const keys = new PassThrough();
    let screen = '';
    await startDirect(it2.Id, { stdin: keys, stdout: new PassThrough().on('data', (d: Buffer) => (screen += d.toString())) });
    keys.write('typed\r');
    expect(await env.service.wait(it2.Id)).toEqual({ StatusCode: 0 });
    expect(screen).toContain('got typed');

    const s = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'read x; echo got $x; cat'], openStdin: true });
    const input = new PassThrough();
    await startDirect(s.Id, { stdin: input });
    input.write('hello\n');
    input.end('more\n');
    expect(await env.service.wait(s.Id)).toEqual({ StatusCode: 0 });
    expect(await logText(env.service, s.Id)).toBe('got hello\nmore\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(printed.join('')).not.toContain('closed but not opened');
  }, 60_000);

  it('the memory limit (OOM-killed, recorded) and the pids limit bind', async () => {
    const c = await env.service.create({
      image: 'busybox:e2e',
      cmd: ['sh', '-c', 'x=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; while true; do x="$x$x"; done'],
      memory: 16 * 1024 * 1024,
    });
    await startDirect(c.Id);
    expect((await env.service.wait(c.Id)).StatusCode).toBe(137);
    expect(env.service.inspect(c.Id).State.OOMKilled).toBe(true);

    // 20 background sleeps under pids.max 8: a fork fails (ash then exits 2) and the cgroup never holds more than 8.
    const p = await env.service.create({
      image: 'busybox:e2e',
      cmd: ['sh', '-c', 'sh -c "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sleep 30 & done" 2>/dev/null; echo "forks $?"; exec sleep 30'],
      pidsLimit: 8,
    });
    await startDirect(p.Id);
    const pid1 = env.service.inspect(p.Id).State.Pid;
    const pidsPath = (read(`/proc/${pid1}/cgroup`) ?? '').split('\n').find((l) => /^\d+:pids:/.test(l))?.split(':')[2];
    expect(pidsPath).toContain(p.Id);
    expect(readFileSync(`/sys/fs/cgroup/pids${pidsPath}/pids.max`, 'utf8').trim()).toBe('8');
    // The forks are over once the script says so (a fixed 500 ms could end before that on a loaded machine).
    await until('"forks N" in the log', async () => /^forks \d+\n$/.test(await logText(env.service, p.Id)));
    const inside = processesOf([p.Id]);
    expect(inside.length).toBeGreaterThanOrEqual(2);
    expect(inside.length).toBeLessThanOrEqual(8);
    expect(await logText(env.service, p.Id)).toBe('forks 2\n');
    await env.service.stop(p.Id, 0);
  }, 120_000);

  it('exec into it, restart policy restarts, stop sends TERM then KILL', async () => {
    const c = await env.service.create({ image: 'busybox:e2e', cmd: ['sleep', '100'], env: ['GREETING=hello'] });
    await startDirect(c.Id);
    expect((await env.service.exec.run(c.Id, { cmd: ['cat', '/proc/1/cmdline'] })).stdout).toBe('sleep\u0000100\u0000');
    const e = await env.service.exec.run(c.Id, { cmd: ['sh', '-c', 'echo $GREETING; exit 7'] });
    expect(e).toMatchObject({ stdout: 'hello\n', exitCode: 7 });
    const t0 = Date.now();
    await env.service.stop(c.Id, 1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(env.service.inspect(c.Id).State).toMatchObject({ Status: 'exited', ExitCode: 137, Running: false });

    const polite = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'trap "exit 0" TERM; echo trapped; while true; do sleep 0.1; done'] });
    await startDirect(polite.Id);
    // Stop only once the trap is set: after a fixed 300 ms a slow shell could still lack it, ignore TERM as PID 1
    // and be killed after the 10 s grace (137).
    await until('the TERM trap', async () => (await logText(env.service, polite.Id)) === 'trapped\n');
    const t1 = Date.now();
    await env.service.stop(polite.Id, 10);
    expect(Date.now() - t1).toBeLessThan(8000); // well below its 10 s grace
    expect(env.service.inspect(polite.Id).State.ExitCode).toBe(0);

    const before = env.service.startPaths;
    const r = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'exit 1'], restartPolicy: 'on-failure:2' });
    await env.service.start(r.Id);
    await until('two restarts, then exited', () => env.service.inspect(r.Id).RestartCount === 2 && env.service.inspect(r.Id).State.Status === 'exited', 30_000);
    expect(env.service.inspect(r.Id).State.ExitCode).toBe(1);
    expect(env.service.startPaths).toEqual({ direct: before.direct + 3, init: before.init, threaded: before.threaded + (threads > 0 ? 3 : 0) });
  }, 120_000);

  it('a failing start leaves the engine (every thread) in its own namespaces, root and cwd, and the next start works', async () => {
    const place = placeOf('self');
    expect(threadPlaces()).toEqual([JSON.stringify(place)]);
    const missing = await env.service.create({ image: 'busybox:e2e', cmd: ['no-such-program'] });
    await expect(env.service.start(missing.Id)).rejects.toThrow(/no-such-program/);
    expect(env.service.inspect(missing.Id).State).toMatchObject({ Status: 'created', ExitCode: 127 });
    expect(placeOf('self')).toEqual(place);
    // A file bound onto a directory: the mount fails in the middle of the rootfs build.
    const badMount = await env.service.create({ image: 'busybox:e2e', cmd: ['true'], binds: ['/etc/hostname:/bin'] });
    await expect(env.service.start(badMount.Id)).rejects.toThrow();
    expect(placeOf('self')).toEqual(place);
    expect(threadPlaces()).toEqual([JSON.stringify(place)]);
    const ids = [missing.Id, badMount.Id];
    expect(containerCgroups().filter((p) => ids.some((id) => p.includes(id)))).toEqual([]);
    const next = await env.service.create({ image: 'busybox:e2e', cmd: ['echo', 'fine'] });
    await startDirect(next.Id);
    expect(await env.service.wait(next.Id)).toEqual({ StatusCode: 0 });
    expect(await logText(env.service, next.Id)).toBe('fine\n');
  }, 60_000);

  it('20 starts at once all run, each in namespaces of its own; removing them leaves nothing', async () => {
    const created = await Promise.all(Array.from({ length: 20 }, (_, i) => env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', `echo ${i}; exec sleep 30`] })));
    const before = env.service.startPaths;
    await Promise.all(created.map((c) => env.service.start(c.Id)));
    expect(env.service.startPaths).toEqual({ ...before, direct: before.direct + 20, threaded: before.threaded + (threads > 0 ? 20 : 0) });
    const pids = created.map((c) => env.service.inspect(c.Id).State.Pid);
    expect(new Set(pids).size).toBe(20);
    for (const kind of ['mnt', 'pid', 'net', 'uts', 'ipc']) {
      const namespaces = new Set(pids.map((pid) => readlinkSync(`/proc/${pid}/ns/${kind}`)));
      expect(namespaces.size).toBe(20);
      expect(namespaces.has(readlinkSync(`/proc/self/ns/${kind}`))).toBe(false);
    }
    // Each wrote its own number to its own log (the output worker logs asynchronously: poll a little).
    const expected = created.map((_, i) => `${i}\n`);
    let logs: string[] = [];
    for (let waited = 0; waited < 10_000; waited += 100) {
      logs = await Promise.all(created.map((c) => logText(env.service, c.Id)));
      if (logs.every((text, i) => text === expected[i])) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(logs).toEqual(expected);
    expect(threadPlaces()).toEqual([JSON.stringify(placeOf('self'))]);
    await Promise.all(created.map((c) => env.service.remove(c.Id, { force: true })));
    const ours = (path: string) => created.some((c) => path.includes(c.Id));
    expect(containerCgroups().filter(ours)).toEqual([]);
    expect(containerProcesses().filter((pid) => ours(read(`/proc/${pid}/cgroup`) ?? ''))).toEqual([]);
    expect(mountsUnder(env.root)).toEqual([]);
  }, 120_000);

  it('100 starts leave no process, cgroup, mount or fd behind', async () => {
    await removeAll(env.service);
    // Counted after the first start: the output worker and its fds are created once, on the first start.
    let fds = Infinity;
    const ids: string[] = [];
    const started = performance.now();
    // The rootfs build blocks the event loop (sync syscalls): the longest stall of the loop during each start.
    const stalls = monitorEventLoopDelay({ resolution: 1 });
    stalls.enable();
    const startStalls: number[] = [];
    for (let i = 0; i < 100; i++) {
      const c = await env.service.create({ image: 'busybox:e2e', cmd: ['true'] });
      ids.push(c.Id);
      stalls.reset();
      await startDirect(c.Id);
      // A stall is recorded when the histogram's timer fires late: let it fire once more.
      await new Promise((r) => setTimeout(r, 5));
      startStalls.push(stalls.max / 1e6);
      expect(await env.service.wait(c.Id)).toEqual({ StatusCode: 0 });
      await env.service.remove(c.Id);
      if (i === 0) fds = readdirSync('/proc/self/fd').length;
    }
    const ms = performance.now() - started;
    stalls.disable();
    const sorted = startStalls.sort((a, b) => a - b);
    const stall = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * sorted.length))]!.toFixed(1);
    process.stderr.write(`direct start: 100 create+start+wait+remove of true in ${ms.toFixed(0)} ms; longest event-loop stall per start: median ${stall(50)}, p90 ${stall(90)}, max ${stall(100)} ms\n`);
    expect(env.service.list({ all: true })).toEqual([]);
    const ours = (path: string) => ids.some((id) => path.includes(id));
    expect(containerCgroups().filter(ours)).toEqual([]);
    expect(containerProcesses().filter((pid) => ours(read(`/proc/${pid}/cgroup`) ?? ''))).toEqual([]);
    expect(mountsUnder(env.root)).toEqual([]);
    // Log writers and the output worker settle asynchronously: allow them a moment.
    await until('the fds back to their count before', () => readdirSync('/proc/self/fd').length <= fds, 30_000).catch(() => undefined);
    expect(readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(fds);
    expect(nodeChildren()).toEqual([]);
  }, 300_000);

  it("createForStart (c run): cgroup made at create, output and events as create's, nothing left when wait removed answers", async () => {
    const { service } = env;
    const before = containerCgroups();
    await expect(service.createForStart({ image: 'missing:1' })).rejects.toThrow('No such image');
    // No new cgroup (one of another test's containers going away meanwhile is not this test's business).
    expect(containerCgroups().filter((path) => !before.includes(path))).toEqual([]);

    const actions: string[] = [];
    const unsubscribe = service.events.subscribe((e) => {
      if (e.Type === 'container') actions.push(e.Action);
    });
    const { record, durable } = await service.createForStart({ image: 'busybox:e2e', cmd: ['sh', '-c', 'echo out'], autoRemove: true });
    const ours = (path: string) => path.endsWith(record.Id);
    // In place before its fsync ends, with its cgroup directories already made.
    expect(JSON.parse(readFileSync(join(service.recordDir(record.Id), 'config.v2.json'), 'utf8'))).toMatchObject({ Id: record.Id, State: { Status: 'created' } });
    expect(containerCgroups().filter(ours).length).toBeGreaterThan(0);
    const output: string[] = [];
    const stdout = new PassThrough();
    stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const removed = service.wait(record.Id, 'removed');
    await startDirect(record.Id, { stdout });
    await durable;
    expect(await removed).toEqual({ StatusCode: 0 });
    unsubscribe();
    expect(output.join('')).toBe('out\n');
    expect(actions).toEqual(['create', 'start', 'die', 'destroy']);
    expect(existsSync(service.recordDir(record.Id))).toBe(false);
    expect(containerCgroups().filter(ours)).toEqual([]);
    expect(containerProcesses().filter((pid) => ours(read(`/proc/${pid}/cgroup`) ?? ''))).toEqual([]);
  }, 60_000);
});

describe.skipIf(process.arch !== 'x64')('runDirect with holdStart (what the engine uses)', () => {
  it('the process runs only on start(); abandon() ends the container without running it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'c-direct-hold-'));
    const ctx = { store: new StateStore(join(dir, 'state')), cgroups: defaultCgroupsFactory() };
    const ids: string[] = [];
    try {
      const bundle = makeBundle(dir, ['echo', 'ran']).dir;
      const held = async (id: string, out: string) => {
        ids.push(id);
        const fd = openSync(out, 'w');
        try {
          const created = await runDirect({ id, bundle, store: ctx.store, sys: linuxSyscalls, cgroups: ctx.cgroups, stdio: ['ignore', fd, fd], holdStart: true });
          if (created === undefined) throw new Error('runDirect fell back to the init on this host');
          return { created, exited: new Promise<number | null>((r) => created.child.once('exit', (code) => r(code))) };
        } finally {
          closeSync(fd);
        }
      };
      const a = await held(`hold-a-${process.pid}`, join(dir, 'a.out'));
      await new Promise((r) => setTimeout(r, 200));
      expect(a.created.child.exitCode).toBeNull();
      expect(readFileSync(join(dir, 'a.out'), 'utf8')).toBe('');
      a.created.start();
      expect(await a.exited).toBe(0);
      expect(readFileSync(join(dir, 'a.out'), 'utf8')).toBe('ran\n');

      const b = await held(`hold-b-${process.pid}`, join(dir, 'b.out'));
      b.created.abandon();
      expect(await b.exited).not.toBe(0);
      expect(readFileSync(join(dir, 'b.out'), 'utf8')).not.toContain('ran');
    } finally {
      for (const id of ids) await deleteContainer(ctx, id, true).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(containerCgroups().filter((p) => ids.some((id) => p.includes(id)))).toEqual([]);
  }, 60_000);
});

describe('direct start (c-daemon)', () => {
  let session: Session;
  beforeAll(async () => {
    session = await openSession('c-direct-daemon-');
  }, 300_000);
  afterAll(async () => {
    await session?.close();
  }, 60_000);

  it('a failing start leaves the daemon in its own namespaces, root and cwd, serving the next run', async () => {
    const daemon = session.daemon.child.pid!;
    const place = placeOf(daemon);
    const missing = await session.docker(['run', '--rm', '--network', 'none', session.image, 'no-such-program']);
    expect(missing.code).not.toBe(0);
    expect(placeOf(daemon)).toEqual(place);
    const badMount = await session.docker(['run', '--rm', '--network', 'none', '-v', '/etc/hostname:/bin', session.image, 'true']);
    expect(badMount.code).not.toBe(0);
    expect(placeOf(daemon)).toEqual(place);
    const ok = await session.docker(['run', '--rm', '--network', 'none', '-e', 'X=1', session.image, 'sh', '-c', 'echo "ok $X"; exit 4']);
    expect(ok).toMatchObject({ code: 4, stdout: 'ok 1\n' });
    // The pool is lazy: with every start direct, the daemon never spawned a Node init.
    const children = readFileSync(`/proc/${daemon}/task/${daemon}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    expect(children.filter((pid) => (read(`/proc/${pid}/cmdline`) ?? '').includes('c-runtime-init.'))).toEqual([]);
    expect(mountsUnder(join(session.root))).toEqual([]);
  }, 120_000);
});
