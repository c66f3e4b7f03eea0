// Privileged: top, stats, changes, export, cp (archive get/put), pause, restart policies, auto-remove.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, isRoot } from '../runtime/helpers';
import { logText, mountsUnder, removeAll, setup, until, type Env } from './support';

let env: Env;
beforeAll(async () => {
  if (!isRoot()) return;
  ensureBuilt();
  env = await setup('introspect');
}, 180_000);
afterEach(async () => {
  if (env) await removeAll(env.service);
});
afterAll(async () => {
  await env?.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lists a tar stream's entries with GNU tar. */
function tarList(stream: Readable, verbose = false): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', [verbose ? '-tvf' : '-tf', '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    tar.stdout.on('data', (d: Buffer) => (out += d.toString()));
    tar.on('close', (code) => (code === 0 ? resolve(out.trim().split('\n')) : reject(new Error(`tar exit ${code}`))));
    stream.on('error', reject);
    stream.pipe(tar.stdin);
  });
}

/**
 * A tar made by GNU tar from a shell snippet run in a temp dir, collected first: Node drops the unread output of
 * a child that exits before anyone reads its stdout.
 */
async function tarFrom(script: string): Promise<Readable> {
  const child = spawn('sh', ['-c', `d=$(mktemp -d) && cd $d && ${script} && tar -cf - . ; rm -rf $d`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  for await (const chunk of child.stdout) chunks.push(chunk as Buffer);
  return Readable.from([Buffer.concat(chunks)]);
}

/** A tar with the given raw entries (names are not sanitised: that is the point). */
async function hostileTar(entries: { name: string; body?: string; linkname?: string }[]): Promise<Readable> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk: unknown) => {
    chunks.push(chunk as Buffer);
  });
  const done = new Promise<void>((resolve) => tar.on('end', () => resolve()));
  for (const e of entries) {
    if (e.linkname !== undefined) tar.entry({ name: e.name, type: 'symlink', linkname: e.linkname });
    else tar.entry({ name: e.name, mode: 0o644 }, e.body ?? '');
  }
  tar.finalize();
  await done;
  return Readable.from([Buffer.concat(chunks)]);
}

describe.skipIf(!isRoot())('containers: introspection and policies', () => {
  it('top lists the processes, stats reads the cgroup, pause freezes them', async () => {
    const c = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'sleep 100 & exec sleep 101'], memory: 64 * 1024 * 1024, pidsLimit: 30 });
    await env.service.start(c.Id);
    // Until the shell has forked and exec'd: a fixed 300 ms could still show `sh -c …` on a loaded machine.
    const sleeps = async () => (await env.service.top(c.Id)).Processes.map((p) => p[3]).sort().join(',');
    await until('sleep 100 and sleep 101 in top', async () => (await sleeps()) === 'sleep 100,sleep 101');
    const top = await env.service.top(c.Id);
    expect(top.Titles).toEqual(['UID', 'PID', 'PPID', 'CMD']);
    expect(top.Processes.map((p) => p[3]).sort()).toEqual(['sleep 100', 'sleep 101']);
    const stats = env.service.stats(c.Id);
    expect(stats.memory_stats.limit).toBe(64 * 1024 * 1024);
    expect(stats.memory_stats.usage).toBeGreaterThan(0);
    expect(stats.pids_stats).toMatchObject({ current: 2, limit: 30 });
    expect(stats.cpu_stats.cpu_usage.total_usage).toBeGreaterThan(0);

    await env.service.pause(c.Id);
    expect(env.service.inspect(c.Id).State).toMatchObject({ Status: 'paused', Paused: true, Running: true });
    const frozen = top.Processes.map((p) => Number(p[1]));
    for (const pid of frozen) expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) [DS] /);
    await expect(env.service.exec.run(c.Id, { cmd: ['true'] })).rejects.toThrow(/paused/);
    await env.service.unpause(c.Id);
    expect(env.service.inspect(c.Id).State).toMatchObject({ Status: 'running', Paused: false });
    expect(env.service.list({ filters: { status: ['running'] } }).map((s) => s.Id)).toContain(c.Id);
  });

  it('changes reports added, modified and deleted paths', async () => {
    const c = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'echo x > /etc/new; echo y >> /etc/passwd; rm /bin/wc'] });
    await env.service.start(c.Id);
    await env.service.wait(c.Id);
    const changes = await env.service.changes(c.Id);
    expect(changes).toEqual(
      expect.arrayContaining([
        { Path: '/etc', Kind: 0 },
        { Path: '/etc/new', Kind: 1 },
        { Path: '/etc/passwd', Kind: 0 },
        { Path: '/bin', Kind: 0 },
        { Path: '/bin/wc', Kind: 2 },
      ]),
    );
    expect(changes.find((x) => x.Path === '/bin/busybox')).toBeUndefined();
    // The engine's own mount points are not the container's changes (docker hides them too).
    expect(changes.filter((x) => ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf'].includes(x.Path))).toEqual([]);
  });

  it('export tars the merged filesystem without runtime mounts, and unmounts afterwards', async () => {
    const before = mountsUnder(env.root).length;
    const c = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'echo hi > /root/note; rm /bin/wc; exec sleep 100'] });
    await env.service.start(c.Id);
    // The writes are done once PID 1 is `sleep 100` (a fixed 300 ms could export before them on a loaded machine).
    const pid = env.service.inspect(c.Id).State.Pid;
    await until('the script to exec sleep 100', () => readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'sleep\u0000100\u0000');
    const entries = await tarList(await env.service.export(c.Id));
    expect(entries).toContain('./bin/busybox');
    expect(entries).toContain('./root/note');
    expect(entries).not.toContain('./bin/wc');
    expect(entries.some((e) => e.startsWith('./proc/') && e !== './proc/')).toBe(false);
    await until('the export mounts to go', () => mountsUnder(env.root).length === before);
    expect(mountsUnder(env.root).length).toBe(before);
  });

  it('cp: archive get of a file and of a directory; put into running and stopped containers; no escape', async () => {
    const c = await env.service.create({ image: 'busybox:e2e', cmd: ['sleep', '100'] });
    await env.service.start(c.Id);
    const file = await env.service.archiveGet(c.Id, '/etc/passwd');
    expect(file.stat.name).toBe('passwd');
    expect(await tarList(file.tar)).toEqual(['passwd']);
    const dir = await env.service.archiveGet(c.Id, '/etc/');
    // hostname, hosts and resolv.conf exist as the mount points of the engine's bind mounts, as in docker.
    expect((await tarList(dir.tar)).sort()).toEqual(['etc/', 'etc/group', 'etc/hostname', 'etc/hosts', 'etc/passwd', 'etc/resolv.conf']);
    await expect(env.service.archiveGet(c.Id, '/nope')).rejects.toThrow(/Could not find the file \/nope/);

    await env.service.archivePut(c.Id, '/tmp', await tarFrom('echo put > hello.txt'));
    expect((await env.service.exec.run(c.Id, { cmd: ['cat', '/tmp/hello.txt'] })).stdout).toBe('put\n');
    // Hostile tars: a ".." name and a write through a symlink to / are refused, and nothing lands outside.
    const marker = `c-escape-${process.pid}-${Date.now()}`;
    await expect(env.service.archivePut(c.Id, '/tmp', await hostileTar([{ name: `../../../../tmp/${marker}`, body: 'x' }]))).rejects.toThrow();
    await expect(
      env.service.archivePut(c.Id, '/tmp', await hostileTar([{ name: 'up', linkname: '/' }, { name: `up/tmp/${marker}`, body: 'x' }])),
    ).rejects.toThrow();
    expect(existsSync(`/tmp/${marker}`)).toBe(false);
    await expect(env.service.archivePut(c.Id, '/../../..', await tarFrom('echo x > ok.txt'))).resolves.toBeUndefined();
    expect((await env.service.exec.run(c.Id, { cmd: ['cat', '/ok.txt'] })).stdout).toBe('x\n');

    await env.service.stop(c.Id, 0);
    await env.service.archivePut(c.Id, '/root', await tarFrom('echo offline > later.txt'));
    const later = await env.service.archiveGet(c.Id, '/root/later.txt');
    expect(await tarList(later.tar)).toEqual(['later.txt']);
  });

  it('restart policy on-failure:2 restarts with backoff, then gives up; auto-remove removes on exit', async () => {
    const c = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'echo run; exit 1'], restartPolicy: 'on-failure:2' });
    await env.service.start(c.Id);
    await until('two restarts, then exited', () => env.service.inspect(c.Id).RestartCount === 2 && env.service.inspect(c.Id).State.Status === 'exited');
    const state = env.service.inspect(c.Id);
    expect(state.RestartCount).toBe(2);
    expect(state.State).toMatchObject({ Status: 'exited', ExitCode: 1, Restarting: false });
    expect(await logText(env.service, c.Id)).toBe('run\nrun\nrun\n');

    const gone = await env.service.create({ image: 'busybox:e2e', cmd: ['true'], autoRemove: true });
    const removed = env.service.wait(gone.Id, 'removed');
    await env.service.start(gone.Id);
    expect(await removed).toEqual({ StatusCode: 0 });
    expect(() => env.service.inspect(gone.Id)).toThrow(/No such container/);
  });

  it('restart policy always brings back a container that exits 0, with growing backoff', async () => {
    const c = await env.service.create({ image: 'busybox:e2e', cmd: ['sh', '-c', 'echo up; exit 0'], restartPolicy: 'always' });
    await env.service.start(c.Id);
    await until('three restarts', () => env.service.inspect(c.Id).RestartCount >= 3);
    expect(env.service.inspect(c.Id).RestartCount).toBeGreaterThanOrEqual(3);
    expect((await logText(env.service, c.Id)).split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(3);
    await env.service.stop(c.Id, 1);
    const count = env.service.inspect(c.Id).RestartCount;
    await sleep(1000);
    expect(env.service.inspect(c.Id).RestartCount).toBe(count);
    expect(['exited']).toContain(env.service.inspect(c.Id).State.Status);
  });

  it('a stop does not trigger restart policy always; events tell the story', async () => {
    const events: string[] = [];
    const unsubscribe = env.service.events.subscribe((e) => events.push(e.Action));
    try {
      const c = await env.service.create({ image: 'busybox:e2e', cmd: ['sleep', '100'], restartPolicy: 'always' });
      await env.service.start(c.Id);
      await env.service.stop(c.Id, 0);
      await sleep(500);
      expect(env.service.inspect(c.Id).State.Status).toBe('exited');
      await env.service.remove(c.Id);
      expect(events).toEqual(['create', 'start', 'kill', 'die', 'stop', 'destroy']);
    } finally {
      unsubscribe();
    }
  });

  it('OOMKilled is recorded when the memory limit kills the process', async () => {
    const c = await env.service.create({
      image: 'busybox:e2e',
      cmd: ['sh', '-c', 'x=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; while true; do x="$x$x"; done'],
      memory: 16 * 1024 * 1024,
    });
    const actions: string[] = [];
    const unsubscribe = env.service.events.subscribe((e) => {
      if (e.Actor.ID === c.Id) actions.push(e.Action);
    });
    await env.service.start(c.Id);
    const result = await env.service.wait(c.Id);
    unsubscribe();
    expect(result.StatusCode).toBe(137);
    expect(env.service.inspect(c.Id).State.OOMKilled).toBe(true);
    expect(actions).toEqual(['start', 'oom', 'die']);
  }, 60_000);
});
