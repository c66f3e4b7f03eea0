import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineClient, SYSTEMERR, demultiplex, type HijackedStream } from '@c/api';
import { isCError } from '@c/errors';
import { startDaemon, type RunningDaemon } from '../daemon';
import { FakeContainers } from '../testing/fake-containers';
import { MemoryImages } from '../testing/memory-images';

/** The run stream as [stream, text] pairs, control messages parsed. */
async function collect(stream: HijackedStream): Promise<Array<[number, unknown]>> {
  const out: Array<[number, unknown]> = [];
  for await (const frame of demultiplex(stream.socket as AsyncIterable<Buffer>)) {
    out.push([frame.stream, frame.stream === SYSTEMERR ? JSON.parse(frame.payload.toString()) : frame.payload.toString()]);
  }
  return out;
}

describe("c's run endpoints over a fake engine", () => {
  let dir: string;
  let containers: FakeContainers;
  let daemon: RunningDaemon;
  let client: EngineClient;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'c-daemon-run-'));
    containers = new FakeContainers();
    const socket = join(dir, 'c.sock');
    daemon = await startDaemon({ config: { sockets: [socket], root: join(dir, 'root') }, images: new MemoryImages(), containers });
    client = new EngineClient({ socketPath: socket, timeoutMs: 5000 });
  });

  afterEach(async () => {
    await daemon.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('POST /c/run creates and starts in one request; a create failure is the create’s HTTP error', async () => {
    const answer = await client.containers.runDetached({ Image: 'busybox', Cmd: ['sleep'], HostConfig: { CpuShares: 512 } }, { name: 'bg' });
    expect(answer.Id).toMatch(/^[0-9a-f]{64}$/);
    expect(answer.StartError).toBeUndefined();
    expect(answer.Warnings).toEqual(['CPU shares are not applied by c yet; use --cpus for a limit.']);
    expect(containers.inspect('bg').State.Running).toBe(true);

    const missing = await client.containers.runDetached({ Image: 'nope' }).catch((e: unknown) => e);
    expect(isCError(missing, 'NOT_FOUND') && missing.message).toBe('No such image: nope');
    const taken = await client.containers.runDetached({ Image: 'busybox' }, { name: 'bg' }).catch((e: unknown) => e);
    expect(isCError(taken, 'CONFLICT')).toBe(true);
  });

  it('POST /c/run reports a failed start as StartError (status 400 for a missing executable); --rm removes the container', async () => {
    const kept = await client.containers.runDetached({ Image: 'busybox', Cmd: ['nope'] });
    expect(kept.StartError).toEqual({ status: 400, message: 'exec: "nope": executable file not found in $PATH' });
    expect(containers.inspect(kept.Id).State.Status).toBe('created');

    const removed = await client.containers.runDetached({ Image: 'busybox', Cmd: ['nope'], HostConfig: { AutoRemove: true } });
    expect(removed.StartError?.status).toBe(400);
    expect(containers.removed).toContain(removed.Id);
  });

  it('POST /c/run/stream: output frames, then Id after the start, then the exit status, then the end', async () => {
    const stream = await client.containers.runStream({ Image: 'busybox', Cmd: ['echo', 'hello'] });
    const frames = await collect(stream);
    const id = (frames.find(([s]) => s === SYSTEMERR)?.[1] as { Id: string }).Id;
    expect(frames).toEqual(
      expect.arrayContaining([
        [1, 'hello\n'],
        [SYSTEMERR, { Id: id, Warnings: [] }],
      ]),
    );
    expect(frames.at(-1)).toEqual([SYSTEMERR, { StatusCode: 0, Error: null }]);
    expect(frames.length).toBe(3);

    const failed = await collect(await client.containers.runStream({ Image: 'busybox', Cmd: ['exit', '3'] }));
    expect(failed.at(-1)).toEqual([SYSTEMERR, { StatusCode: 3, Error: null }]);
    const stderr = await collect(await client.containers.runStream({ Image: 'busybox', Cmd: ['warn', 'careful'], Tty: true }));
    // A TTY's output is framed too (as the container wrote it: the fake keeps stderr apart).
    expect(stderr.filter(([s]) => s !== SYSTEMERR)).toEqual([[2, 'careful\n']]);
  });

  it('POST /c/run/stream with condition=removed answers once an --rm container is gone', async () => {
    const frames = await collect(await client.containers.runStream({ Image: 'busybox', Cmd: ['exit', '5'], HostConfig: { AutoRemove: true } }, { condition: 'removed' }));
    const id = (frames.find(([s, m]) => s === SYSTEMERR && typeof m === 'object' && m !== null && 'Id' in m)?.[1] as { Id: string }).Id;
    expect(frames.at(-1)).toEqual([SYSTEMERR, { StatusCode: 5, Error: null }]);
    expect(containers.removed).toContain(id);
  });

  it('POST /c/run/stream feeds stdin (stdin=1, OpenStdin) and ends it on half-close', async () => {
    const stream = await client.containers.runStream({ Image: 'busybox', Cmd: ['cat'], OpenStdin: true }, { stdin: true });
    const frames = collect(stream);
    stream.socket.write('piped ');
    stream.socket.end('input');
    const got = await frames;
    expect(
      got
        .filter(([s]) => s === 1)
        .map(([, text]) => text)
        .join(''),
    ).toBe('piped input');
    expect(got.at(-1)).toEqual([SYSTEMERR, { StatusCode: 0, Error: null }]);
  });

  it('POST /c/run/stream: a failed start is StartError in the first control message and ends the stream; bad requests fail before the upgrade', async () => {
    const frames = await collect(await client.containers.runStream({ Image: 'busybox', Cmd: ['nope'], HostConfig: { AutoRemove: true } }, { condition: 'removed' }));
    expect(frames.length).toBe(1);
    const [, started] = frames[0]!;
    expect(started).toMatchObject({ Warnings: [], StartError: { status: 400, message: 'exec: "nope": executable file not found in $PATH' } });
    expect(containers.removed).toContain((started as { Id: string }).Id);

    const before = containers.records.size;
    const missing = await client.containers.runStream({ Image: 'nope' }).catch((e: unknown) => e);
    expect(isCError(missing, 'NOT_FOUND') && missing.message).toBe('No such image: nope');
    const condition = await client.hijack('/c/run/stream', { query: { condition: 'not-running' } }).catch((e: unknown) => e);
    expect(isCError(condition, 'INVALID_ARGUMENT') && condition.message).toBe('invalid condition: "not-running"');
    expect(containers.records.size).toBe(before);
  });

  it('the run endpoints start before the record is durable, and report the container only once it is', async () => {
    let durable!: () => void;
    containers.recordDurable = () => new Promise<void>((resolve) => (durable = resolve));
    const stream = await client.containers.runStream({ Image: 'busybox', Cmd: ['echo', 'early'] });
    // Started (and done writing) while its record is not yet durable: nothing is sent, not even the Id (the socket,
    // not read yet, would hold it).
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(containers.createdForStart).toBe(1);
    expect(stream.socket.readableLength).toBe(0);
    durable();
    const got = await collect(stream);
    expect(got[0]).toEqual([SYSTEMERR, { Id: expect.stringMatching(/^a+\d+$/), Warnings: [] }]);
    expect(got.slice(1)).toEqual([
      [1, 'early\n'],
      [SYSTEMERR, { StatusCode: 0, Error: null }],
    ]);

    let durableDetached!: () => void;
    containers.recordDurable = () => new Promise<void>((resolve) => (durableDetached = resolve));
    let answered = false;
    const detached = client.containers.runDetached({ Image: 'busybox', Cmd: ['sleep'] }).finally(() => (answered = true));
    // Polled: a fixed 20 ms wait for the daemon to serve the request can pass first on a loaded machine.
    const started = () => [...containers.records.values()].some((r) => r.Config.Cmd?.[0] === 'sleep' && r.State.Running);
    await expect.poll(started, { timeout: 10_000 }).toBe(true);
    expect(answered).toBe(false);
    durableDetached();
    expect((await detached).StartError).toBeUndefined();
  });

  it('a record that cannot be made durable fails the run: the container is removed and the failure is the start error', async () => {
    containers.recordDurable = () => Promise.reject(new Error('EIO: i/o error, fsync'));
    const answer = await client.containers.runDetached({ Image: 'busybox', Cmd: ['sleep'] });
    expect(answer.StartError?.status).toBe(500);
    expect(answer.StartError?.message).toMatch(/its record could not be written to disk: EIO: i\/o error, fsync/);
    expect(containers.removed).toContain(answer.Id);

    const frames = await collect(await client.containers.runStream({ Image: 'busybox', Cmd: ['echo', 'lost'] }));
    expect(frames).toHaveLength(1);
    const [stream, started] = frames[0]!;
    expect(stream).toBe(SYSTEMERR);
    expect(started).toMatchObject({ StartError: { status: 500 } });
    expect(containers.removed).toContain((started as { Id: string }).Id);

    // A start that failed already keeps its own error; the container goes all the same.
    const failed = await client.containers.runDetached({ Image: 'busybox', Cmd: ['nope'] });
    expect(failed.StartError?.status).toBe(400);
    expect(containers.removed).toContain(failed.Id);
  });

  it('POST /c/run/stream refuses condition=removed without AutoRemove before creating anything', async () => {
    const error = await client.containers.runStream({ Image: 'busybox', Cmd: ['true'] }, { condition: 'removed' }).catch((e: unknown) => e);
    expect(isCError(error, 'INVALID_ARGUMENT') && error.message).toMatch(/condition=removed needs HostConfig.AutoRemove/);
    expect(containers.list({ all: true })).toHaveLength(0);
  });
});
