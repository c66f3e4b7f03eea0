import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineClient, STDERR, STDOUT, demultiplex, type Frame } from '@c/api';
import { isCError } from '@c/errors';
import { startDaemon, type RunningDaemon } from '../daemon';
import { FakeContainers } from '../testing/fake-containers';
import { MemoryImages } from '../testing/memory-images';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function raw(socketPath: string, method: string, path: string, body?: unknown): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {};
    const req = request({ socketPath, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function collect(frames: AsyncIterable<Frame>): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for await (const frame of frames) out.push([frame.stream, frame.payload.toString()]);
  return out;
}

describe('container routes over a fake engine', () => {
  let dir: string;
  let containers: FakeContainers;
  let daemon: RunningDaemon;
  let socket: string;
  let client: EngineClient;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'c-daemon-ctr-'));
    containers = new FakeContainers();
    socket = join(dir, 'c.sock');
    daemon = await startDaemon({ config: { sockets: [socket], root: join(dir, 'root') }, images: new MemoryImages(), containers });
    client = new EngineClient({ socketPath: socket, timeoutMs: 5000 });
  });

  afterEach(async () => {
    await daemon.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates with docker’s body, 201 with Id and Warnings; unknown image 404; name conflict 409', async () => {
    const created = await raw(socket, 'POST', '/v1.43/containers/create?name=web', {
      Image: 'busybox',
      Cmd: ['echo', 'hi'],
      Env: ['A=b'],
      Labels: { team: 'c' },
      HostConfig: { Memory: 64 << 20, NanoCpus: 1.5e9, AutoRemove: false, PortBindings: { '80/tcp': [{ HostPort: '8080' }] } },
    });
    expect(created.status).toBe(201);
    const body = JSON.parse(created.body.toString()) as { Id: string; Warnings: string[] };
    expect(body.Id).toMatch(/^[0-9a-f]{64}$/);
    expect(body.Warnings).toEqual([]);
    const record = containers.inspect(body.Id);
    expect(record.Config.Env).toEqual(['A=b']);
    expect(record.HostConfig.NanoCpus).toBe(1.5e9);

    const missing = await raw(socket, 'POST', '/containers/create', { Image: 'nope' });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body.toString())).toEqual({ message: 'No such image: nope' });
    const conflict = await raw(socket, 'POST', '/containers/create?name=web', { Image: 'busybox' });
    expect(conflict.status).toBe(409);
    expect(JSON.parse(conflict.body.toString()).message).toMatch(/^Conflict\. The container name "\/web" is already in use/);
    const privileged = await raw(socket, 'POST', '/containers/create', { Image: 'busybox', HostConfig: { Privileged: true } });
    expect(privileged.status).toBe(501);
  });

  it('answers No such container with 404 on every container path', async () => {
    for (const [method, path] of [
      ['GET', '/containers/ghost/json'],
      ['POST', '/containers/ghost/start'],
      ['POST', '/containers/ghost/stop'],
      ['POST', '/containers/ghost/wait'],
      ['DELETE', '/containers/ghost'],
      ['GET', '/containers/ghost/logs?stdout=1'],
      ['POST', '/containers/ghost/exec'],
    ] as const) {
      const res = await raw(socket, method, `/v1.41${path}`, method === 'POST' && path.endsWith('exec') ? { Cmd: ['true'] } : undefined);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(JSON.parse(res.body.toString())).toEqual({ message: 'No such container: ghost' });
    }
  });

  it('runs like docker run: attach (hijacked) and wait next-exit before start, output multiplexed, exit code', async () => {
    const { Id } = await client.containers.create({ Image: 'busybox', Cmd: ['echo', 'hello', 'world'] });
    const attached = await client.containers.attach(Id, { stdout: true, stderr: true });
    expect(attached.contentType).toBe('application/vnd.docker.multiplexed-stream');
    const waited = client.containers.wait(Id, { condition: 'next-exit' });
    const frames = collect(demultiplex(attached.socket as AsyncIterable<Buffer>));
    await client.containers.start(Id);
    expect(await frames).toEqual([[STDOUT, 'hello world\n']]);
    expect(await waited).toEqual({ StatusCode: 0, Error: null });
  });

  it('feeds stdin through a hijacked attach and ends it on half-close', async () => {
    const { Id } = await client.containers.create({ Image: 'busybox', Cmd: ['cat'], OpenStdin: true });
    const attached = await client.containers.attach(Id, { stdin: true });
    const frames = collect(demultiplex(attached.socket as AsyncIterable<Buffer>));
    await client.containers.start(Id);
    attached.socket.write('piped ');
    attached.socket.end('input');
    expect((await frames).map(([, text]) => text).join('')).toBe('piped input');
    expect((await client.containers.wait(Id)).StatusCode).toBe(0);
  });

  it('attach to a running container taps its live output and forwards stdin; StdinOnce decides whether EOF closes it', async () => {
    const { Id } = await client.containers.create({ Image: 'busybox', Cmd: ['cat'], OpenStdin: true });
    await client.containers.start(Id);
    const first = await client.containers.attach(Id, { stdin: true, stdout: true, stderr: true });
    let received = Buffer.alloc(0);
    first.socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    // The client hands the hijacked socket over paused, so no byte is lost before a reader is there.
    first.socket.resume();
    first.socket.write('live ');
    first.socket.end('one');
    // Multiplexed frames: 8-byte headers, the payload's length in the last 4.
    const payloads = (): string => {
      let text = '';
      for (let at = 0; at + 8 <= received.length; at += 8 + received.readUInt32BE(at + 4)) text += received.subarray(at + 8, at + 8 + received.readUInt32BE(at + 4)).toString();
      return text;
    };
    // expect.poll gives up after 1 s by default, which a loaded machine can take for a round trip.
    await expect.poll(payloads, { timeout: 10_000 }).toBe('live one');
    // Without StdinOnce the client's EOF leaves the container's stdin open: it keeps running.
    await new Promise((r) => setTimeout(r, 50));
    expect(containers.inspect(Id).State.Running).toBe(true);
    first.socket.destroy();

    const { Id: once } = await client.containers.create({ Image: 'busybox', Cmd: ['cat'], OpenStdin: true, StdinOnce: true });
    await client.containers.start(once);
    const second = await client.containers.attach(once, { stdin: true, stdout: true });
    const frames = collect(demultiplex(second.socket as AsyncIterable<Buffer>));
    second.socket.end('bye');
    // The stream ends with the container, which ended with its stdin.
    expect(await frames).toEqual([[STDOUT, 'bye']]);
    expect((await client.containers.wait(once)).StatusCode).toBe(0);
    await containers.remove(Id, { force: true });
  });

  it('resize sets a running tty container’s size; 409 when stopped, 400 without h and w', async () => {
    const { Id } = await client.containers.create({ Image: 'busybox', Cmd: ['sleep'], Tty: true });
    expect((await raw(socket, 'POST', `/containers/${Id}/resize?h=33&w=101`)).status).toBe(409);
    await client.containers.start(Id);
    expect((await raw(socket, 'POST', `/containers/${Id}/resize?h=33&w=101`)).status).toBe(200);
    expect(containers.sizes.get(Id)).toEqual({ height: 33, width: 101 });
    expect((await raw(socket, 'POST', `/containers/${Id}/resize?h=33`)).status).toBe(400);
    const exec = await raw(socket, 'POST', `/containers/${Id}/exec`, { Cmd: ['sleep'], Tty: true });
    const execId = (JSON.parse(exec.body.toString()) as { Id: string }).Id;
    expect((await raw(socket, 'POST', `/exec/${execId}/resize?h=40&w=120`)).status).toBe(200);
    expect(containers.sizes.get(execId)).toEqual({ height: 40, width: 120 });
    expect((await raw(socket, 'POST', `/exec/nope/resize?h=40&w=120`)).status).toBe(404);
    await containers.remove(Id, { force: true });
  });

  it('attach without hijack: 200 raw stream body while the request body stays open (dockerode hijack:false)', async () => {
    const { Id } = await client.containers.create({ Image: 'busybox', Cmd: ['cat'], OpenStdin: true, Tty: true });
    const output = new Promise<{ type: string | undefined; text: string }>((resolve, reject) => {
      const req = request({ socketPath: socket, method: 'POST', path: `/containers/${Id}/attach?stream=1&stdin=1&stdout=1` }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ type: res.headers['content-type'], text }));
      });
      req.on('error', reject);
      req.flushHeaders();
      setTimeout(() => {
        void client.containers.start(Id).then(() => {
          req.write('typed');
          req.end();
        });
      }, 50);
    });
    expect(await output).toEqual({ type: 'application/vnd.docker.raw-stream', text: 'typed' });
  });

  it('docker run --rm of a missing command: 400 with the executable message, container removed, wait(removed) returns', async () => {
    const { Id } = await client.containers.create({ Image: 'busybox', Cmd: ['nosuchcmd'], HostConfig: { AutoRemove: true } });
    const removed = client.containers.wait(Id, { condition: 'removed' });
    const res = await raw(socket, 'POST', `/containers/${Id}/start`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString()).message).toMatch(/executable file not found in \$PATH/);
    await removed;
    expect(containers.removed).toContain(Id);
  });

  it('start and stop answer 304 when nothing changes; kill of a stopped container is 409', async () => {
    const { Id } = await client.containers.create({ Image: 'busybox', Cmd: ['sleep'] });
    expect((await raw(socket, 'POST', `/containers/${Id}/start`)).status).toBe(204);
    expect((await raw(socket, 'POST', `/containers/${Id}/start`)).status).toBe(304);
    expect((await raw(socket, 'POST', `/containers/${Id}/stop?t=1`)).status).toBe(204);
    await client.containers.wait(Id);
    expect((await raw(socket, 'POST', `/containers/${Id}/stop`)).status).toBe(304);
    const kill = await raw(socket, 'POST', `/containers/${Id}/kill`);
    expect(kill.status).toBe(409);
    expect(JSON.parse(kill.body.toString()).message).toMatch(/is not running/);
  });

  it('lists with all/limit/filters, inspects with docker’s sections, renames, removes', async () => {
    const a = await client.containers.create({ Image: 'busybox', Cmd: ['sleep'] }, { name: 'a1' });
    const b = await client.containers.create({ Image: 'busybox', Cmd: ['echo'] }, { name: 'b1' });
    await client.containers.start(a.Id);
    expect((await client.containers.list()).map((c) => c.Id)).toEqual([a.Id]);
    expect((await client.containers.list({ all: true })).length).toBe(2);
    expect((await client.containers.list({ filters: { status: ['created'] } })).map((c) => c.Id)).toEqual([b.Id]);
    const row = (await client.containers.list())[0]!;
    expect(row.Ports).toEqual([]);
    expect(row.NetworkSettings).toEqual({ Networks: {} });
    const inspect = await client.containers.inspect('a1');
    expect(inspect.State.Running).toBe(true);
    expect(inspect.NetworkSettings).toMatchObject({ Ports: {}, Networks: {} });
    expect(inspect).not.toHaveProperty('C');
    await client.containers.rename('b1', 'b2');
    expect((await client.containers.inspect(b.Id)).Name).toBe('/b2');
    await expect(client.containers.remove(a.Id)).rejects.toSatisfy((e) => isCError(e, 'CONFLICT'));
    await client.containers.remove(a.Id, { force: true });
    await expect(client.containers.inspect(a.Id)).rejects.toSatisfy((e) => isCError(e, 'NOT_FOUND'));
    const pruned = await client.containers.prune();
    expect(pruned.ContainersDeleted).toEqual([b.Id]);
  });

  it('logs: multiplexed frames per stream, tail, stdout-only, and 400 without a stream', async () => {
    const { Id } = await client.containers.create({ Image: 'busybox', Cmd: ['warn', 'oops'] });
    await client.containers.start(Id);
    await client.containers.wait(Id);
    containers.logLines.get(Id)!.push({ stream: 'stdout', line: 'second\n', time: '2024-01-01T00:00:00.000000001Z' });
    expect(await collect(client.containers.logs(Id))).toEqual([
      [STDERR, 'oops\n'],
      [STDOUT, 'second\n'],
    ]);
    expect(await collect(client.containers.logs(Id, { stderr: false }))).toEqual([[STDOUT, 'second\n']]);
    expect(await collect(client.containers.logs(Id, { tail: 1, timestamps: true }))).toEqual([[STDOUT, '2024-01-01T00:00:00.000000001Z second\n']]);
    const bad = await raw(socket, 'GET', `/containers/${Id}/logs`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body.toString()).message).toBe('Bad parameters: you must choose at least one stream');
  });

  it('exec: create 201, hijacked start with the JSON body first, exit code in inspect; detached start', async () => {
    const { Id } = await client.containers.create({ Image: 'busybox', Cmd: ['sleep'] });
    await client.containers.start(Id);
    const exec = await client.exec.create(Id, { Cmd: ['echo', 'in', 'exec'] });
    const stream = await client.exec.start(exec.Id);
    expect(await collect(demultiplex(stream.socket as AsyncIterable<Buffer>))).toEqual([[STDOUT, 'in exec\n']]);
    expect(await client.exec.inspect(exec.Id)).toMatchObject({ Running: false, ExitCode: 0, OpenStdout: true });

    const cat = await client.exec.create(Id, { Cmd: ['cat'], AttachStdin: true });
    const catStream = await client.exec.start(cat.Id);
    const frames = collect(demultiplex(catStream.socket as AsyncIterable<Buffer>));
    catStream.socket.end('to exec stdin');
    expect((await frames).map(([, t]) => t).join('')).toBe('to exec stdin');

    const failing = await client.exec.create(Id, { Cmd: ['exit', '4'] });
    await client.exec.startDetached(failing.Id);
    await expect.poll(async () => (await client.exec.inspect(failing.Id)).ExitCode, { timeout: 10_000 }).toBe(4);
    const missing = await raw(socket, 'GET', '/exec/nope/json');
    expect(missing.status).toBe(404);
  });

  it('top, changes, stats (one sample, docker’s shape), pause/unpause', async () => {
    const { Id } = await client.containers.create({ Image: 'busybox', Cmd: ['sleep'] }, { name: 'st' });
    await client.containers.start(Id);
    expect((await client.containers.top(Id)).Processes[0]).toEqual(['0', '4242', '1', 'sleep']);
    expect(containers.topArgs).toBeUndefined();
    expect(JSON.parse((await raw(socket, 'GET', `/containers/${Id}/top?ps_args=${encodeURIComponent('-o pid,comm')}`)).body.toString())).toEqual({ Titles: ['PID', 'COMMAND'], Processes: [['4242', 'sleep']] });
    expect(containers.topArgs).toBe('-o pid,comm');
    const listed = JSON.parse((await raw(socket, 'GET', '/containers/json?size=1')).body.toString()) as Array<Record<string, unknown>>;
    expect(listed[0]).toMatchObject({ Id, SizeRw: 4096, SizeRootFs: 4096 + (1 << 20) });
    expect(JSON.parse((await raw(socket, 'GET', '/containers/json')).body.toString())[0]).not.toHaveProperty('SizeRw');
    expect(JSON.parse((await raw(socket, 'GET', `/containers/${Id}/json?size=1`)).body.toString())).toMatchObject({ Id, SizeRw: 4096, SizeRootFs: 4096 + (1 << 20) });
    expect(await client.containers.changes(Id)).toEqual([{ Path: '/tmp/new', Kind: 1 }]);
    const stats = await client.containers.stats(Id, { oneShot: true });
    expect(stats).toMatchObject({ name: '/st', id: Id, pids_stats: { current: 1 }, memory_stats: { usage: 4096, limit: 1 << 20 } });
    expect(stats.cpu_stats.cpu_usage.total_usage).toBe(5_000_000);
    expect(stats.cpu_stats.system_cpu_usage).toBeGreaterThan(0);
    let samples = 0;
    for await (const sample of client.containers.statsStream(Id)) {
      expect(sample.id).toBe(Id);
      if (++samples === 2) break;
    }
    await client.containers.pause(Id);
    expect((await client.containers.inspect(Id)).State.Status).toBe('paused');
    await client.containers.unpause(Id);
    expect((await client.containers.inspect(Id)).State.Status).toBe('running');
  });

  it('archive: PUT a tar, HEAD/GET with X-Docker-Container-Path-Stat, 404 for a missing path; export streams a tar', async () => {
    const { Id } = await client.containers.create({ Image: 'busybox', Cmd: ['sleep'] });
    await client.containers.putArchive(Id, '/data/file', Readable.from([Buffer.from('archive-bytes')]));
    expect(containers.archives.get('/data/file')?.toString()).toBe('archive-bytes');
    expect(await client.containers.statPath(Id, '/data/file')).toMatchObject({ name: 'file', size: 13, mode: 0o644 });
    const { tar } = await client.containers.getArchive(Id, '/data/file');
    let text = '';
    for await (const chunk of tar) text += String(chunk);
    expect(text).toBe('archive-bytes');
    const head = await raw(socket, 'HEAD', `/containers/${Id}/archive?path=/missing`);
    expect(head.status).toBe(404);
    const exported = await client.containers.export(Id);
    expect(exported.headers['content-type']).toBe('application/x-tar');
    exported.resume();
  });

  it('commit names the image from repo and tag, passes changes, pause, author and comment; no repo is an untagged image', async () => {
    const { Id } = await client.containers.create({ Image: 'busybox', Cmd: ['sleep'] }, { name: 'cm' });
    const result = await client.containers.commit('cm', { repo: 'mine', tag: 'v1', changes: ['CMD ["sh"]'] });
    expect(result.Id).toBe('sha256:' + 'c'.repeat(64));
    expect(containers.commits).toEqual([{ id: Id, reference: 'mine:v1', changes: ['CMD ["sh"]'], pause: true }]);
    const untagged = await raw(socket, 'POST', '/commit?container=cm&pause=0&author=me&comment=why');
    expect(untagged.status).toBe(201);
    expect(JSON.parse(untagged.body.toString())).toEqual({ Id: 'sha256:' + 'c'.repeat(64) });
    expect(containers.commits[1]).toEqual({ id: Id, reference: '', pause: false, author: 'me', comment: 'why' });
    expect((await raw(socket, 'POST', '/commit?container=cm&tag=v2')).status).toBe(400);
    expect((await raw(socket, 'POST', '/commit')).status).toBe(400);
  });

  it('events: history since, filters, live stream until the client stops', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const { Id } = await client.containers.create({ Image: 'busybox', Cmd: ['echo', 'x'] }, { name: 'ev' });
    const seen: string[] = [];
    const live = (async () => {
      for await (const event of client.events({ since, filters: { type: ['container'], event: ['create', 'die'] } })) {
        seen.push(`${event.Action} ${event.Actor.Attributes.name}`);
        if (event.Action === 'die') break;
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    await client.containers.start(Id);
    await live;
    expect(seen).toEqual(['create ev', 'die ev']);
    const bounded: string[] = [];
    for await (const event of client.events({ since, until: Math.ceil(Date.now() / 1000) + 1, filters: { container: ['ev'] } })) bounded.push(event.Action);
    expect(bounded).toEqual(['create', 'start', 'die']);
  });

  it('info counts containers; system df lists them', async () => {
    const { Id } = await client.containers.create({ Image: 'busybox', Cmd: ['sleep'] });
    await client.containers.create({ Image: 'busybox', Cmd: ['sleep'] });
    await client.containers.start(Id);
    const info = await client.info();
    expect([info.Containers, info.ContainersRunning, info.ContainersStopped]).toEqual([2, 1, 1]);
    const df = await client.systemDf();
    expect(df.Containers.length).toBe(2);
    expect(df.Volumes).toEqual([]);
  });
});
