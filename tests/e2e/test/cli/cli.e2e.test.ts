/**
 * `c` against a real daemon: auto-started on first use for a temporary root (socket `<root>/c.sock`), then every
 * container command through it. Runs the BUILT cli and daemon (build first:
 * `pnpm turbo run build --filter @c/cli... --filter @c/daemon...`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxTar } from '../busybox-rootfs';
import { CLI_PATH, cliEnvironment, expectSuccess, tearDownCli, type CliEnvironment } from '../registry/support/cli';

const haveBusybox = existsSync('/bin/busybox');

/** Whether something accepts connections on the unix socket `path`. */
function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A unix-socket proxy to `target` that answers c's own run endpoints (`/c/run…`) as dockerd does, 404 `page not
 * found`, and passes everything else through (half-closes too): a daemon that speaks only the Docker API.
 */
async function dockerOnlyProxy(listen: string, target: string): Promise<{ server: Server; refused: string[] }> {
  const refused: string[] = [];
  const notFound = '{"message":"page not found"}';
  const server = createServer({ allowHalfOpen: true }, (client) => {
    client.on('error', () => client.destroy());
    client.once('data', (first: Buffer) => {
      const requestLine = first.toString('latin1', 0, Math.max(0, first.indexOf('\r\n')));
      if (/^\S+ (\/v[\d.]+)?\/c\/run/.test(requestLine)) {
        refused.push(requestLine);
        client.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${notFound.length}\r\nConnection: close\r\n\r\n${notFound}`);
        return;
      }
      const upstream = connect({ path: target, allowHalfOpen: true });
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.write(first);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await new Promise<void>((resolve) => server.listen(listen, resolve));
  return { server, refused };
}
const haveScript = existsSync('/usr/bin/script');

describe.skipIf(!haveBusybox)('c against its daemon', () => {
  let c: CliEnvironment;
  let work: string;
  const image = 'cli-e2e/busybox:1';

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'c-e2e-cli-work-'));
    c = cliEnvironment();
  });

  afterAll(() => tearDownCli(c, work));

  it('starts the daemon on first use and says so, once', async () => {
    const first = expectSuccess(await c.run(['import', busyboxTar(work, ['sh', 'echo', 'cat', 'true', 'sleep', 'ls', 'test', 'hostname', 'pwd', 'env']), image]), 'c import');
    expect(first.stderr).toMatch(/^c: started the daemon \(pid \d+, log .*daemon\.log\)$/m);
    expect(first.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(existsSync(join(c.root, 'c.sock'))).toBe(true);
    const second = expectSuccess(await c.run(['images', '-q']), 'c images');
    expect(second.stderr).not.toContain('started the daemon');
    expect(second.stdout.trim()).toBe(first.stdout.trim().slice(7, 19));
  });

  it('runs a container and exits with its status (0, 3), docker style 125/126/127', async () => {
    const hello = await c.run(['run', '--rm', image, 'echo', 'hello from a container']);
    expect(hello).toMatchObject({ code: 0, stdout: 'hello from a container\n' });
    expect((await c.run(['run', '--rm', image, 'sh', '-c', 'exit 3'])).code).toBe(3);
    const missing = await c.run(['run', '--rm', image, 'no-such-command']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/executable file not found/);
    expect((await c.run(['run', '--rm', image, '/etc/passwd'])).code).toBe(126);
    const noImage = await c.run(['run', '--rm', '127.0.0.1:1/nothing:1', 'true']);
    expect(noImage.code).toBe(125);
    expect(noImage.stderr).toContain("Unable to find image '127.0.0.1:1/nothing:1' locally");
    expect((await c.run(['run', '--bogus-flag', image])).code).toBe(125);
  });

  it('c run loads none of net, stream, crypto, child_process, fs/promises or module (each costs start-up time)', async () => {
    const probe = join(work, 'modules-probe.cjs');
    const report = join(work, 'cli-modules.json');
    writeFileSync(probe, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(process.moduleLoadList)));\n`);
    const natives = async (args: string[]): Promise<string[]> => {
      const result = await c.run(args, { env: { NODE_OPTIONS: `--require ${probe}` } });
      expect(result.code, result.stderr).toBe(0);
      return (JSON.parse(readFileSync(report, 'utf8')) as string[]).filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
    };
    const heavy = ['net', 'stream', 'crypto', 'child_process', 'fs/promises', 'module'];
    expect((await natives(['run', '--rm', image, 'true'])).filter((m) => heavy.includes(m))).toEqual([]);
    // With stdin the full client runs: net, but still none of the others.
    const full = await natives(['run', '--rm', '-i', image, 'true']);
    expect(full).toContain('net');
    expect(full.filter((m) => ['crypto', 'child_process', 'fs/promises'].includes(m))).toEqual([]);
  });

  it('passes flags through: env, workdir, hostname, entrypoint, labels', async () => {
    const envFile = join(work, 'vars.env');
    writeFileSync(envFile, '# comment\nFROM_FILE=1\n');
    const result = expectSuccess(
      await c.run(['run', '--rm', '-e', 'A=b c', '--env-file', envFile, '-w', '/tmp', '--hostname', 'box', image, 'sh', '-c', 'echo "$A|$FROM_FILE|$(pwd)|$(hostname)"']),
      'c run with flags',
    );
    expect(result.stdout).toBe('b c|1|/tmp|box\n');
    const shared = join(work, 'shared');
    mkdirSync(shared, { recursive: true });
    writeFileSync(join(shared, 'f'), 'bound\n');
    const bound = expectSuccess(await c.run(['run', '--rm', '-v', `${shared}:/mnt:ro`, '-m', '64m', '--pids-limit', '50', image, 'cat', '/mnt/f']), 'c run -v');
    expect(bound.stdout).toBe('bound\n');
    const entry = expectSuccess(await c.run(['run', '--rm', '--entrypoint', 'echo', image, 'via', 'entrypoint']), 'c run --entrypoint');
    expect(entry.stdout).toBe('via entrypoint\n');
  });

  it.skipIf(!haveScript)('gives -t a terminal (under script, a pty)', async () => {
    const command = `${process.execPath} ${CLI_PATH} run --rm -t ${image} sh -c 'test -t 1 && echo on-a-tty'`;
    const out = execFileSync('script', ['-qec', command, '/dev/null'], { env: { ...process.env, C_ROOT: c.root, DOCKER_CONFIG: c.dockerConfig }, encoding: 'utf8', timeout: 60_000 });
    expect(out).toContain('on-a-tty');
  });

  it('runs detached, shows logs (and follows them until stop), lists with filters and formats', async () => {
    const started = expectSuccess(
      await c.run(['run', '-d', '--name', 'ticker', '--label', 'role=e2e', image, 'sh', '-c', 'trap "exit 0" TERM; echo first; while true; do sleep 0.2; done']),
      'c run -d',
    );
    const id = started.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const deadline = Date.now() + 10_000;
    let logs = '';
    while (Date.now() < deadline && !logs.includes('first')) logs = (await c.run(['logs', 'ticker'])).stdout;
    expect(logs).toBe('first\n');

    const ps = expectSuccess(await c.run(['ps', '--filter', 'name=ticker', '--format', '{{.Names}} {{.State}} {{.Labels}}']), 'c ps');
    expect(ps.stdout).toBe('ticker running role=e2e\n');
    expect((await c.run(['ps', '-q', '--filter', 'label=role=e2e'])).stdout.trim()).toBe(id.slice(0, 12));
    expect((await c.run(['ps', '-q', '--filter', 'status=exited', '--filter', 'name=ticker'])).stdout).toBe('');
    expect((await c.run(['inspect', '--format', '{{.State.Status}} {{.Name}}', 'ticker'])).stdout).toBe('running /ticker\n');

    const follower = spawn(process.execPath, [CLI_PATH, 'logs', '-f', 'ticker'], { env: { ...process.env, C_ROOT: c.root } });
    let followed = '';
    follower.stdout.on('data', (chunk: Buffer) => (followed += chunk.toString()));
    const followerExit = new Promise<number | null>((resolve) => follower.on('close', resolve));
    expect(expectSuccess(await c.run(['stop', '-t', '5', 'ticker']), 'c stop').stdout).toBe('ticker\n');
    expect(await followerExit).toBe(0);
    expect(followed).toBe('first\n');
    expect((await c.run(['ps', '-a', '--filter', 'name=ticker', '--format', '{{.State}}'])).stdout).toBe('exited\n');
    expect((await c.run(['wait', 'ticker'])).stdout).toBe('0\n');
    expect(expectSuccess(await c.run(['rm', 'ticker']), 'c rm').stdout).toBe('ticker\n');
    const gone = await c.run(['rm', 'ticker']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('No such container: ticker');
  });

  it('execs in a running container and copies files both ways', async () => {
    const id = expectSuccess(await c.run(['run', '-d', '--name', 'box', image, 'sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done']), 'c run -d').stdout.trim();
    try {
      expect((await c.run(['exec', 'box', 'echo', 'in', 'the', 'box'])).stdout).toBe('in the box\n');
      expect((await c.run(['exec', '-e', 'X=y', '-w', '/etc', 'box', 'sh', '-c', 'echo $X $(pwd); exit 4'])).code).toBe(4);
      expect((await c.run(['exec', 'box', 'no-such-command'])).code).toBe(127);
      const piped = await c.run(['exec', '-i', 'box', 'cat'], { input: 'through stdin\n' });
      expect(piped.stdout).toBe('through stdin\n');

      const local = join(work, 'note.txt');
      writeFileSync(local, 'from the host\n');
      expectSuccess(await c.run(['cp', local, 'box:/tmp/copied.txt']), 'c cp to the container');
      expect((await c.run(['exec', 'box', 'cat', '/tmp/copied.txt'])).stdout).toBe('from the host\n');
      const back = join(work, 'passwd-copy');
      expectSuccess(await c.run(['cp', 'box:/etc/passwd', back]), 'c cp from the container');
      expect(readFileSync(back, 'utf8')).toBe('root:x:0:0:root:/root:/bin/sh\n');

      const diff = (await c.run(['diff', 'box'])).stdout;
      expect(diff).toMatch(/^A \/tmp\/copied\.txt$/m);
      const top = expectSuccess(await c.run(['top', 'box']), 'c top').stdout;
      expect(top.split('\n')[0]).toMatch(/PID/);
    } finally {
      await c.run(['rm', '-f', id]);
    }
  });

  it('forwards Ctrl-C to the container without a terminal (sig-proxy) and reports its events', async () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const child = spawn(process.execPath, [CLI_PATH, 'run', '--name', 'sigs', image, 'sh', '-c', 'trap "echo got-int; exit 5" INT; echo ready; while true; do sleep 0.1; done'], {
      env: { ...process.env, C_ROOT: c.root },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes('ready') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      child.kill('SIGINT');
      expect(await exited).toBe(5);
      expect(out).toBe('ready\ngot-int\n');
      const until = String(Math.floor(Date.now() / 1000) + 1);
      const events = expectSuccess(await c.run(['events', '--since', since, '--until', until, '--filter', 'container=sigs', '--format', '{{.Action}}']), 'c events');
      const actions = events.stdout.split('\n').filter(Boolean);
      expect(actions).toEqual(expect.arrayContaining(['create', 'start', 'die']));
      expect(actions.indexOf('create')).toBeLessThan(actions.indexOf('die'));
    } finally {
      child.kill('SIGKILL');
      await c.run(['rm', '-f', 'sigs']);
    }
  });

  it('sends c run in one exchange to c-daemon, and docker’s sequence of calls to a daemon without c’s endpoints', async () => {
    const log = join(c.root, 'daemon.log');
    const logged = readFileSync(log, 'utf8').length;
    expect((await c.run(['run', '--rm', image, 'true'])).code).toBe(0);
    expect(readFileSync(log, 'utf8').slice(logged)).toMatch(/^\S+ POST \/v[\d.]+\/c\/run\/stream\?condition=removed 101 \(upgrade\)\n$/);

    const { server, refused } = await dockerOnlyProxy(join(work, 'docker-only.sock'), join(c.root, 'c.sock'));
    try {
      const viaDocker = (args: string[], input?: string) => c.run(['-H', `unix://${join(work, 'docker-only.sock')}`, ...args], input === undefined ? {} : { input });
      expect(await viaDocker(['run', '--rm', image, 'sh', '-c', 'echo out; echo err >&2; exit 3'])).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
      expect(await viaDocker(['run', '--rm', '-i', image, 'cat'], 'piped\n')).toMatchObject({ code: 0, stdout: 'piped\n' });
      expect((await viaDocker(['run', '--rm', image, 'no-such-command'])).code).toBe(127);
      const detached = expectSuccess(await viaDocker(['run', '-d', image, 'true']), 'c run -d through the proxy');
      expect(detached.stdout).toMatch(/^[0-9a-f]{64}\n$/);
      expect((await c.run(['wait', detached.stdout.trim()])).stdout).toBe('0\n');
      await c.run(['rm', detached.stdout.trim()]);
      // Without -i the lean client asks first, then hands over to the full client, which asks once more.
      expect(refused.map((line) => line.split(/[? ]/).slice(0, 2).join(' '))).toEqual([
        'POST /v1.43/c/run/stream',
        'POST /v1.43/c/run/stream',
        'POST /v1.43/c/run/stream',
        'POST /v1.43/c/run/stream',
        'POST /v1.43/c/run/stream',
        'POST /v1.43/c/run',
        'POST /v1.43/c/run',
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  // Once hung the daemon: `cat` sendfile()d from a socket stdin into its stdout FIFO, holding the FIFO's lock while
  // waiting, and the daemon's read of that FIFO slept in D state. The container's stdin is a FIFO now (stdin-fifo.ts).
  it('pipes stdin into run -i', async () => {
    const result = await c.run(['run', '--rm', '-i', image, 'cat'], { input: 'line one\nline two\n' });
    expect(result).toMatchObject({ code: 0, stdout: 'line one\nline two\n' });
  });
});

describe('c daemon and -H', () => {
  let base: string;
  afterAll(() => {
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('runs the daemon in the foreground on the socket -H names, and stops on SIGTERM', async () => {
    base = mkdtempSync(join(tmpdir(), 'c-e2e-daemon-fg-'));
    const socket = join(base, 'fg.sock');
    const daemon = spawn(process.execPath, [CLI_PATH, 'daemon', '--root', join(base, 'root'), '-H', `unix://${socket}`], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => daemon.on('close', resolve));
    try {
      // Until it accepts a connection: the socket file exists from bind(), a moment before listen().
      const deadline = Date.now() + 60_000;
      while (!(await accepts(socket)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const env = { ...process.env, C_ROOT: '', C_HOST: '' };
      const run = (args: string[]) =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, [CLI_PATH, ...args], { env });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
          child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          child.on('close', (code) => resolve({ code, stdout, stderr }));
        });
      const version = await run(['-H', `unix://${socket}`, 'version']);
      expect(version.code).toBe(0);
      expect(version.stdout).toMatch(/Server:\n Version: +\S+\n API version: +1\.\d+/);
      expect(version.stderr).not.toContain('started the daemon');
      // A socket named explicitly is never auto-started.
      const nobody = await run(['-H', `unix://${join(base, 'nobody.sock')}`, 'ps']);
      expect(nobody.code).toBe(1);
      expect(nobody.stderr).toMatch(/^Error: cannot connect to the c daemon at unix:\/\/.*nobody\.sock/);
      expect(existsSync(join(base, 'nobody.sock'))).toBe(false);
    } finally {
      daemon.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });
});
