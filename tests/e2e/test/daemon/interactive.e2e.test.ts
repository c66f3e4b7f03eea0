/**
 * Interactive containers through c-daemon with the docker 28 CLI and dockerode: attach to a container that is
 * already running (live output from the moment of attach, stdin forwarded, the log replayed first with logs=1,
 * raw for a tty) and resize of a container's and an exec's terminal.
 */
import { PassThrough, type Duplex } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type Session } from './support/session';

/** Collects a multiplexed attach stream into stdout and stderr text. */
function demux(client: Docker, stream: NodeJS.ReadableStream): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  client.modem.demuxStream(stream, stdout, stderr);
  return { out: () => out, err: () => err };
}

describe.skipIf(process.getuid?.() !== 0)('c-daemon: attach to running containers and resize', () => {
  let session: Session;
  let client: Docker;
  const docker = (...args: string[]) => session.docker(args);

  beforeAll(async () => {
    session = await openSession('c-e2e-interactive-');
    client = new Docker({ socketPath: session.socket });
  }, 300_000);

  afterAll(async () => {
    await session?.close();
  });

  it('docker attach to a running -i container: live output only from now, stdin forwarded, its exit code', async () => {
    const script = 'echo before; while read l; do echo "got $l"; [ "$l" = quit ] && exit 7; done';
    const started = await docker('run', '-d', '-i', '--name', 'att', session.image, 'sh', '-c', script);
    expect(started.code, started.stderr).toBe(0);
    try {
      await expect.poll(async () => (await docker('logs', 'att')).stdout).toBe('before\n');
      const attached = await session.docker(['attach', 'att'], 'hello\nquit\n');
      expect(attached).toMatchObject({ code: 7, stdout: 'got hello\ngot quit\n' });
      expect((await docker('logs', 'att')).stdout).toBe('before\ngot hello\ngot quit\n');
    } finally {
      await docker('rm', '-f', 'att');
    }
  });

  it('dockerode: logs=1 replays the log, then a partial line arrives live; the container keeps its stdin without StdinOnce', async () => {
    const container = await client.createContainer({
      Image: session.image,
      Cmd: ['sh', '-c', 'echo first; while read l; do printf "prompt %s> " "$l"; done'],
      OpenStdin: true,
    });
    try {
      await container.start();
      await expect.poll(async () => (await container.logs({ stdout: true, follow: false })).toString()).toContain('first');
      const stream = (await container.attach({ stream: true, logs: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
      const text = demux(client, stream);
      await expect.poll(text.out).toBe('first\n');
      stream.write('a\n');
      // No newline: it never reaches the json-file log as a line, only the live tap can deliver it.
      await expect.poll(text.out).toBe('first\nprompt a> ');
      stream.write('b\n');
      await expect.poll(text.out).toBe('first\nprompt a> prompt b> ');
      stream.end();
      await new Promise((r) => setTimeout(r, 200));
      expect((await container.inspect()).State.Running).toBe(true);
      // A second client attaches to the same stdin.
      const again = (await container.attach({ stream: true, stdin: true, stdout: true, hijack: true })) as Duplex;
      const more = demux(client, again);
      again.write('c\n');
      await expect.poll(more.out).toBe('prompt c> ');
      again.destroy();
    } finally {
      await container.remove({ force: true });
    }
  });

  it('dockerode: attach to a running tty container is a raw stream both ways', async () => {
    const container = await client.createContainer({ Image: session.image, Cmd: ['sh', '-c', 'read l; echo "tty said $l"; sleep 5'], OpenStdin: true, Tty: true });
    try {
      await container.start();
      const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as Duplex;
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString('latin1')));
      stream.write('zz\n');
      await expect.poll(() => raw).toContain('tty said zz\r\n');
      // No multiplexing header anywhere: a tty has one raw stream.
      expect(raw).not.toMatch(/[\x01\x02]\x00\x00\x00/);
      stream.destroy();
    } finally {
      await container.remove({ force: true });
    }
  });

  it('resize sets a tty container’s size (stty size inside), 409 once it has stopped', async () => {
    const started = await docker('run', '-d', '-t', '--name', 'tt', session.image, 'sh', '-c', 'while true; do stty size; sleep 0.1; done');
    expect(started.code, started.stderr).toBe(0);
    const container = client.getContainer('tt');
    try {
      await container.resize({ h: 33, w: 101 });
      await expect.poll(async () => (await docker('logs', '--tail', '2', 'tt')).stdout).toContain('33 101\r\n');
      await container.resize({ h: 50, w: 160 });
      await expect.poll(async () => (await docker('logs', '--tail', '2', 'tt')).stdout).toContain('50 160\r\n');
      await container.kill();
      await container.wait();
      await expect(container.resize({ h: 10, w: 10 })).rejects.toMatchObject({ statusCode: 409 });
    } finally {
      await docker('rm', '-f', 'tt');
    }
  });

  it('exec with a tty gets a terminal, and exec resize sets its size', async () => {
    const started = await docker('run', '-d', '--name', 'ex', session.image, 'sleep', '60');
    expect(started.code, started.stderr).toBe(0);
    try {
      expect(await docker('exec', '-t', 'ex', 'sh', '-c', 'test -t 1 && echo tty')).toMatchObject({ code: 0, stdout: 'tty\r\n' });
      expect(await docker('exec', 'ex', 'sh', '-c', 'test -t 1 || echo pipe')).toMatchObject({ code: 0, stdout: 'pipe\n' });
      const container = client.getContainer('ex');
      // The sleep keeps the pty open until its output is read: c-runtime's pty pump can lose the last bytes of a
      // process that exits at once (the master's EIO may overtake them). 1 s, not 0.2: a loaded machine can delay
      // the pump's read that long.
      const exec = await container.exec({ Cmd: ['sh', '-c', 'read x; stty size; sleep 1'], Tty: true, AttachStdin: true, AttachStdout: true });
      const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString()));
      const ended = new Promise((r) => stream.once('end', r));
      // Right after start, as docker's CLI does: the daemon waits for the exec's process to exist.
      await exec.resize({ h: 40, w: 120 });
      stream.write('go\n');
      await ended;
      expect(raw).toContain('40 120\r\n');
      expect((await exec.inspect()).ExitCode).toBe(0);
    } finally {
      await docker('rm', '-f', 'ex');
    }
  });
});
