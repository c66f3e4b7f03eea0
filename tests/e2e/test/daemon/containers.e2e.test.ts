/**
 * c-daemon's container endpoints against real clients: the docker 28 CLI, dockerode 5 (with and without hijack) and
 * testcontainers 11, plus a daemon restart and 100 concurrent containers. Runs as root; everything lives in one temp
 * dir removed at the end, and every container is removed even when a test fails.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDaemonBuilt, startDaemonProcess, type DaemonProcess } from './support/daemon-process';
import { busyboxTar } from '../busybox-rootfs';

const DOCKER = '/usr/local/bin/docker';
const IMAGE = 'busybox-image';
const APPLETS = ['sh', 'cat', 'echo', 'ls', 'sleep', 'ps', 'true', 'false', 'touch', 'id', 'hostname', 'env', 'pwd', 'wc', 'mkdir', 'rm', 'test', 'top'];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Mount points under `dir`. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(dir));
}

/** Cgroup directories `/c/<id>` that exist for the given container ids, over every hierarchy. */
function cgroupsOf(ids: readonly string[]): string[] {
  const out: string[] = [];
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
    for (const id of ids) {
      const path = join('/sys/fs/cgroup', hierarchy, 'c', id);
      if (existsSync(path)) out.push(path);
    }
  }
  return out;
}

/** Host processes whose cgroup is one of the given containers'. */
function processesOf(ids: readonly string[]): number[] {
  const wanted = new Set(ids);
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const match = /:\/c\/([0-9a-f]{64})/.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
      if (match && wanted.has(match[1]!)) out.push(Number(pid));
    } catch {
      // gone
    }
  }
  return out;
}

describe('c-daemon containers with real clients', () => {
  let dir: string;
  let daemon: DaemonProcess | undefined;
  let socket: string;
  let root: string;

  function run(args: string[], input?: string, env: NodeJS.ProcessEnv = {}): Promise<Result> {
    return new Promise((resolve) => {
      const child = spawn(DOCKER, ['-H', `unix://${socket}`, ...args], {
        stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env: { ...process.env, DOCKER_CONFIG: join(dir, 'docker-config'), ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      if (input !== undefined) child.stdin?.end(input);
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  }
  const docker = (...args: string[]) => run(args);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'c-e2e-daemon-ctr-'));
    mkdirSync(join(dir, 'docker-config'));
    await ensureDaemonBuilt();
    socket = join(dir, 'run', 'c.sock');
    root = join(dir, 'root');
    daemon = await startDaemonProcess(socket, root);
    const imported = await docker('import', '--change', 'CMD ["sh"]', busyboxTar(dir, APPLETS), IMAGE);
    expect(imported.code, imported.stderr).toBe(0);
  }, 300_000);

  afterAll(async () => {
    if (daemon) {
      const left = await docker('ps', '-aq');
      for (const id of left.stdout.split('\n').filter(Boolean)) await docker('rm', '-f', id);
      await daemon.stop();
    }
    if (dir) {
      for (const mount of mountsUnder(dir).reverse()) spawn('umount', ['-l', mount]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('docker run --rm prints exactly the output, with stdin piped, and docker’s exit codes', async () => {
    expect(await docker('run', '--rm', IMAGE, 'echo', 'hi')).toMatchObject({ code: 0, stdout: 'hi\n' });
    expect(await run(['run', '-i', '--rm', IMAGE, 'cat'], 'hello\n')).toMatchObject({ code: 0, stdout: 'hello\n' });
    expect((await docker('run', '--rm', IMAGE, 'sh', '-c', 'exit 3')).code).toBe(3);
    const missing = await docker('run', '--rm', IMAGE, 'nosuchcmd');
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/executable file not found in \$PATH/);
    const unknown = await docker('run', '--rm', '127.0.0.1:1/nosuchimage', 'true');
    expect(unknown.code).toBe(125);
    expect(unknown.stderr).toMatch(/Unable to find image '127\.0\.0\.1:1\/nosuchimage:latest' locally/);
    // --rm removed every one of them.
    expect((await docker('ps', '-aq')).stdout).toBe('');
  });

  it('run -d, ps, logs, exec, inspect, top, stop, rm', async () => {
    const started = await docker('run', '-d', '--name', 'web', IMAGE, 'sh', '-c', 'echo out; echo err >&2; exec sleep 60');
    expect(started.code, started.stderr).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    try {
      const ps = await docker('ps', '--format', '{{.ID}} {{.Names}} {{.Status}}');
      expect(ps.stdout).toMatch(new RegExp(`^${id.slice(0, 12)} web Up`, 'm'));
      await expect.poll(async () => (await docker('logs', 'web')).stdout).toBe('out\n');
      expect((await docker('logs', 'web')).stderr).toBe('err\n');
      expect(await docker('exec', 'web', 'echo', 'from exec')).toMatchObject({ code: 0, stdout: 'from exec\n' });
      expect((await docker('exec', 'web', 'sh', '-c', 'exit 4')).code).toBe(4);
      expect(await run(['exec', '-i', 'web', 'cat'], 'exec stdin\n')).toMatchObject({ code: 0, stdout: 'exec stdin\n' });
      expect((await docker('inspect', '-f', '{{.State.Status}} {{.Name}} {{.Config.Image}}', 'web')).stdout).toBe(`running /web ${IMAGE}\n`);
      const top = await docker('top', 'web');
      expect(top.stdout).toMatch(/sleep 60/);
      const stop = await docker('stop', '-t', '1', 'web');
      expect(stop).toMatchObject({ code: 0, stdout: 'web\n' });
      expect((await docker('inspect', '-f', '{{.State.Status}}', 'web')).stdout).toBe('exited\n');
    } finally {
      expect((await docker('rm', '-f', 'web')).code).toBe(0);
    }
    const gone = await docker('inspect', 'web');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/No such (container|object): web/);
  });

  it('wait, kill, restart, pause/unpause, rename, cp both ways, diff, commit', async () => {
    const started = await docker('run', '-d', '--name', 'box', IMAGE, 'sleep', '60');
    expect(started.code, started.stderr).toBe(0);
    try {
      writeFileSync(join(dir, 'to-container.txt'), 'from host\n');
      expect((await docker('cp', join(dir, 'to-container.txt'), 'box:/tmp/in.txt')).code).toBe(0);
      expect((await docker('exec', 'box', 'cat', '/tmp/in.txt')).stdout).toBe('from host\n');
      expect((await docker('exec', 'box', 'sh', '-c', 'echo made > /root/out.txt')).code).toBe(0);
      expect((await docker('cp', 'box:/root/out.txt', join(dir, 'from-container.txt'))).code).toBe(0);
      expect(readFileSync(join(dir, 'from-container.txt'), 'utf8')).toBe('made\n');
      const diff = await docker('diff', 'box');
      expect(diff.stdout).toMatch(/^A \/root\/out\.txt$/m);
      expect(diff.stdout).toMatch(/^A \/tmp\/in\.txt$/m);

      const commit = await docker('commit', 'box', 'committed:v1');
      expect(commit.code, commit.stderr).toBe(0);
      expect(await docker('run', '--rm', 'committed:v1', 'cat', '/root/out.txt')).toMatchObject({ code: 0, stdout: 'made\n' });

      expect((await docker('pause', 'box')).code).toBe(0);
      expect((await docker('inspect', '-f', '{{.State.Status}}', 'box')).stdout).toBe('paused\n');
      expect((await docker('unpause', 'box')).code).toBe(0);
      expect((await docker('rename', 'box', 'box2')).code).toBe(0);
      expect((await docker('inspect', '-f', '{{.Name}}', 'box2')).stdout).toBe('/box2\n');

      expect((await docker('restart', '-t', '1', 'box2')).code).toBe(0);
      expect((await docker('inspect', '-f', '{{.State.Running}}', 'box2')).stdout).toBe('true\n');
      const waited = docker('wait', 'box2');
      expect((await docker('kill', 'box2')).code).toBe(0);
      expect(await waited).toMatchObject({ code: 0, stdout: '137\n' });
      const killAgain = await docker('kill', 'box2');
      expect(killAgain.code).toBe(1);
      expect(killAgain.stderr).toMatch(/is not running/);
    } finally {
      await docker('rm', '-f', 'box', 'box2');
      await docker('rmi', 'committed:v1');
    }
  });

  it('dockerode: createContainer, attach, start, wait, logs, exec, remove, with and without hijack', async () => {
    const client = new Docker({ socketPath: socket });
    const container = await client.createContainer({ Image: IMAGE, Cmd: ['sh', '-c', 'read line; echo "got $line"; echo bad >&2'], OpenStdin: true, StdinOnce: true });
    try {
      const stream = await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      let err = '';
      stdout.on('data', (c: Buffer) => (out += c.toString()));
      stderr.on('data', (c: Buffer) => (err += c.toString()));
      container.modem.demuxStream(stream, stdout, stderr);
      const ended = new Promise((r) => stream.once('end', r));
      await container.start();
      stream.write('ping\n');
      expect(await container.wait()).toMatchObject({ StatusCode: 0 });
      await ended;
      expect(out).toBe('got ping\n');
      expect(err).toBe('bad\n');
      const logs = await container.logs({ stdout: true, stderr: true, follow: false });
      expect(logs.toString()).toContain('got ping');
    } finally {
      await container.remove({ force: true });
    }

    // Without hijack: a plain 200 response carries the multiplexed output (dockerode cannot send stdin this way:
    // its options already fill the request body's Content-Length).
    const plain = await client.createContainer({ Image: IMAGE, Cmd: ['sh', '-c', 'sleep 0.3; echo plain-out; echo plain-err >&2'] });
    try {
      const stream = await plain.attach({ stream: true, stdout: true, stderr: true, hijack: false });
      let out = '';
      let err = '';
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      stdout.on('data', (c: Buffer) => (out += c.toString()));
      stderr.on('data', (c: Buffer) => (err += c.toString()));
      plain.modem.demuxStream(stream, stdout, stderr);
      const ended = new Promise((r) => stream.once('end', r));
      await plain.start();
      await ended;
      expect([out, err]).toEqual(['plain-out\n', 'plain-err\n']);
      const logs = await plain.logs({ stdout: true, stderr: true, follow: true, tail: -1 } as { follow: true; stdout: boolean; stderr: boolean; tail: number });
      let logText = '';
      const logSink = new PassThrough();
      logSink.on('data', (c: Buffer) => (logText += c.toString()));
      plain.modem.demuxStream(logs, logSink, logSink);
      await new Promise((r) => logs.once('end', r));
      expect(logText).toBe('plain-out\nplain-err\n');
    } finally {
      await plain.remove({ force: true });
    }

    const sleeper = await client.createContainer({ Image: IMAGE, Cmd: ['sleep', '60'] });
    try {
      await sleeper.start();
      const exec = await sleeper.exec({ Cmd: ['sh', '-c', 'echo exec-out; exit 5'], AttachStdout: true, AttachStderr: true });
      const execStream = await exec.start({ hijack: true, stdin: false });
      let text = '';
      const sink = new PassThrough();
      sink.on('data', (c: Buffer) => (text += c.toString()));
      sleeper.modem.demuxStream(execStream, sink, sink);
      await new Promise((r) => execStream.once('end', r));
      expect(text).toBe('exec-out\n');
      expect((await exec.inspect()).ExitCode).toBe(5);
      const execPlain = await sleeper.exec({ Cmd: ['echo', 'no-hijack'], AttachStdout: true, AttachStderr: true });
      const plainStream = await execPlain.start({ hijack: false, stdin: false });
      let plainText = '';
      const plainSink = new PassThrough();
      plainSink.on('data', (c: Buffer) => (plainText += c.toString()));
      sleeper.modem.demuxStream(plainStream, plainSink, plainSink);
      await new Promise((r) => plainStream.once('end', r));
      expect(plainText).toBe('no-hijack\n');
    } finally {
      await sleeper.remove({ force: true });
    }
    await expect(client.getContainer('nope').inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('testcontainers 11: start, logs, exec, stop', async () => {
    process.env.DOCKER_HOST = `unix://${socket}`;
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
    // This VM has /.dockerenv, so testcontainers thinks it runs inside a container and looks for the gateway of
    // the `bridge` network, which c does not serve: tell it where the containers' ports are instead.
    process.env.TESTCONTAINERS_HOST_OVERRIDE = 'localhost';
    const { GenericContainer } = await import('testcontainers');
    const container = await new GenericContainer(IMAGE).withCommand(['sh', '-c', 'echo tc-ready; exec sleep 60']).start();
    try {
      const logs = await container.logs();
      const text = await new Promise<string>((resolve) => {
        let seen = '';
        logs.on('data', (line: Buffer | string) => {
          seen += line.toString();
          if (seen.includes('tc-ready')) resolve(seen);
        });
      });
      expect(text).toContain('tc-ready');
      logs.destroy();
      const result = await container.exec(['sh', '-c', 'echo hello-tc; exit 2']);
      expect(result.exitCode).toBe(2);
      expect(result.output).toContain('hello-tc');
    } finally {
      await container.stop({ timeout: 1000 });
    }
    expect((await docker('ps', '-aq')).stdout).toBe('');
  });

  it('a daemon restart keeps a running and a stopped container', async () => {
    expect((await docker('run', '-d', '--name', 'keep-running', IMAGE, 'sleep', '60')).code).toBe(0);
    expect((await docker('create', '--name', 'keep-stopped', IMAGE, 'true')).code).toBe(0);
    try {
      const pid = (await docker('inspect', '-f', '{{.State.Pid}}', 'keep-running')).stdout.trim();
      await daemon!.stop();
      daemon = await startDaemonProcess(socket, root);
      const ps = await docker('ps', '-a', '--format', '{{.Names}} {{.State}}');
      expect(ps.stdout.split('\n').filter(Boolean).sort()).toEqual(['keep-running running', 'keep-stopped created']);
      // Adopted, not restarted: the same init process.
      expect((await docker('inspect', '-f', '{{.State.Pid}}', 'keep-running')).stdout.trim()).toBe(pid);
      expect((await docker('start', 'keep-stopped')).code).toBe(0);
      expect((await docker('wait', 'keep-stopped')).stdout).toBe('0\n');
      expect((await docker('stop', '-t', '1', 'keep-running')).code).toBe(0);
    } finally {
      await docker('rm', '-f', 'keep-running', 'keep-stopped');
    }
  });

  it('100 containers started concurrently and removed leave no mounts, cgroups or processes', async () => {
    const client = new Docker({ socketPath: socket });
    const mountsBefore = mountsUnder(root).length;
    const started = performance.now();
    const containers = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const c = await client.createContainer({ Image: IMAGE, Cmd: ['sleep', '60'] });
        await c.start();
        return c;
      }),
    );
    const startMs = performance.now() - started;
    const ids = containers.map((c) => c.id);
    try {
      expect((await client.listContainers()).filter((c) => ids.includes(c.Id)).length).toBe(100);
      expect(processesOf(ids).length).toBeGreaterThanOrEqual(100);
    } finally {
      await Promise.all(containers.map((c) => c.remove({ force: true })));
    }
    console.log(`100 containers: created and started in ${startMs.toFixed(0)} ms`);
    expect(await client.listContainers({ all: true })).toEqual([]);
    expect(cgroupsOf(ids)).toEqual([]);
    expect(processesOf(ids)).toEqual([]);
    expect(mountsUnder(root).length).toBe(mountsBefore);
  }, 300_000);
});
