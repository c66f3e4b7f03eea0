/**
 * c-daemon against real clients: the docker 28 CLI, dockerode 5 and curl, pulling from a real docker-registry.
 * Runs as root (the daemon's store); everything lives in one temp dir removed at the end.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '@c/api';
import { layerTar, pushLayout, writeBusyboxLayout, type BuiltImage } from './support/busybox-image';
import { DAEMON_BIN, ensureDaemonBuilt, startDaemonProcess, type DaemonProcess } from './support/daemon-process';
import { startRegistry, type LocalRegistry } from './support/registry';

const exec = promisify(execFile);
const DOCKER = '/usr/local/bin/docker';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('c-daemon with the docker CLI, dockerode and curl', () => {
  let dir: string;
  let registry: LocalRegistry | undefined;
  let privateRegistry: LocalRegistry | undefined;
  let daemon: DaemonProcess | undefined;
  let image: BuiltImage;
  let socket: string;
  let busybox: string;

  /** Runs a client with stdin closed: a client that wants to prompt (docker login) must fail, not hang. */
  function run(file: string, args: string[]): Promise<Result> {
    return new Promise((resolve) => {
      const child = spawn(file, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, DOCKER_CONFIG: join(dir, 'docker-config') },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  }
  const docker = (...args: string[]) => run(DOCKER, ['-H', `unix://${socket}`, ...args]);
  const curl = (...args: string[]) => run('/usr/bin/curl', ['-sS', '--unix-socket', socket, ...args]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'c-e2e-daemon-'));
    await mkdir(join(dir, 'docker-config'));
    await ensureDaemonBuilt();
    registry = await startRegistry(join(dir, 'registry'));
    image = await writeBusyboxLayout(join(dir, 'layout'));
    busybox = `${registry.host}/busybox`;
    await pushLayout(image.layoutDir, `${busybox}:latest`);
    const htpasswd = join(dir, 'htpasswd');
    await writeFile(htpasswd, (await exec('/usr/bin/htpasswd', ['-Bbn', 'c', 'secret'])).stdout);
    privateRegistry = await startRegistry(join(dir, 'private-registry'), { htpasswd });
    await pushLayout(image.layoutDir, `${privateRegistry.host}/busybox:latest`, 'c:secret');
    socket = join(dir, 'run', 'c.sock');
    // Like dockerd, the daemon keeps no registry logins: this config must stay untouched (the client's is docker-config).
    daemon = await startDaemonProcess(socket, join(dir, 'root'), { DOCKER_CONFIG: join(dir, 'daemon-docker-config') });
    // A stale dist means a rebuild first (about a minute on a busy machine).
  }, 300_000);

  afterAll(async () => {
    await daemon?.stop();
    await registry?.stop();
    await privateRegistry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves _ping and versioned paths to curl with Docker headers', async () => {
    const ping = await curl('-i', 'http://c/_ping');
    expect(ping.code).toBe(0);
    expect(ping.stdout).toMatch(/^HTTP\/1.1 200 OK/);
    expect(ping.stdout).toMatch(/^Api-Version: 1.43\r?$/m);
    expect(ping.stdout).toMatch(/^Ostype: linux\r?$/m);
    expect(ping.stdout).toMatch(/^Builder-Version: 1\r?$/m);
    expect(ping.stdout).toMatch(/^Docker-Experimental: false\r?$/m);
    expect(ping.stdout).toMatch(/^Cache-Control: no-cache/m);
    expect(ping.stdout).toMatch(/^Server: c\/[\d.]+ \(linux\)\r?$/m);
    expect(ping.stdout).toMatch(/\r\n\r\nOK$/);
    const head = await curl('-I', 'http://c/v1.24/_ping');
    expect(head.stdout).toMatch(/^HTTP\/1.1 200 OK/);
    const version = await curl('http://c/v1.41/version');
    expect(JSON.parse(version.stdout)).toMatchObject({ ApiVersion: '1.43', MinAPIVersion: '1.24', Os: 'linux' });
    const tooNew = await curl('-w', '\n%{http_code}', 'http://c/v1.99/version');
    expect(tooNew.stdout).toBe('{"message":"client version 1.99 is too new. Maximum supported API version is 1.43"}\n400');
    const unknown = await curl('-w', '\n%{http_code}', 'http://c/v1.43/nothing/here');
    expect(unknown.stdout).toBe('{"message":"page not found"}\n404');
  });

  it('docker version and docker info show the c server', async () => {
    const version = await docker('version');
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/Server: c/);
    expect(version.stdout).toMatch(/API version:\s+1\.43 \(minimum version 1\.24\)/);
    const info = await docker('info');
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toContain(`Docker Root Dir: ${join(dir, 'root')}`);
    expect(info.stdout).toMatch(/Storage Driver: overlay2/);
    expect(info.stdout).toMatch(/Cgroup Driver: cgroupfs/);
    expect(info.stdout).toMatch(/Images: 0/);
    const formatted = await docker('info', '--format', '{{.OSType}} {{.NCPU}} {{.ServerVersion}}');
    expect(formatted.stdout.trim()).toMatch(/^linux \d+ \d+\.\d+\.\d+/);
  });

  it('docker pull from the local registry prints Docker progress', async () => {
    const pull = await docker('pull', busybox);
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stdout).toContain('latest: Pulling from busybox');
    expect(pull.stdout).toMatch(/[0-9a-f]{12}: Pull complete/);
    expect(pull.stdout).toContain(`Digest: ${image.manifestDigest}`);
    expect(pull.stdout).toContain(`Status: Downloaded newer image for ${busybox}:latest`);
    const again = await docker('pull', busybox);
    expect(again.stdout).toContain(`Status: Image is up to date for ${busybox}:latest`);
  });

  it('docker images and docker inspect show the pulled image', async () => {
    const images = await docker('images', '--format', '{{.Repository}} {{.Tag}} {{.ID}}');
    expect(images.code, images.stderr).toBe(0);
    expect(images.stdout).toContain(`${busybox} latest ${image.configDigest.slice(7, 19)}`);
    const filtered = await docker('images', '--format', '{{.Repository}}', `${registry?.host}/*`);
    expect(filtered.stdout.trim()).toBe(busybox);
    const none = await docker('images', '--format', '{{.Repository}}', 'c-e2e/nothing');
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout.trim()).toBe('');
    const inspect = await docker('inspect', busybox);
    expect(inspect.code, inspect.stderr).toBe(0);
    const [document] = JSON.parse(inspect.stdout) as Array<{ Id: string; RepoTags: string[]; Config: { Cmd: string[] }; Os: string }>;
    expect(document).toMatchObject({ Id: image.configDigest, RepoTags: [`${busybox}:latest`], Os: 'linux' });
    expect(document?.Config.Cmd).toEqual(['sh']);
    const format = await docker('image', 'inspect', '--format', '{{.Id}}', busybox);
    expect(format.stdout.trim()).toBe(image.configDigest);
  });

  it('docker tag and docker rmi', async () => {
    const tag = await docker('tag', busybox, 'c-e2e/bb:v1');
    expect(tag.code, tag.stderr).toBe(0);
    const listed = await docker('images', '--format', '{{.Repository}}:{{.Tag}}');
    expect(listed.stdout.split('\n')).toContain('c-e2e/bb:v1');
    const rmi = await docker('rmi', 'c-e2e/bb:v1');
    expect(rmi.code, rmi.stderr).toBe(0);
    expect(rmi.stdout).toContain('Untagged: c-e2e/bb:v1');
    expect(rmi.stdout).not.toContain('Deleted:');
    const after = await docker('images', '--format', '{{.Repository}}:{{.Tag}}');
    expect(after.stdout.split('\n')).not.toContain('c-e2e/bb:v1');
  });

  it('gives clear errors for missing images', async () => {
    const inspect = await docker('image', 'inspect', 'c-e2e/missing');
    expect(inspect.code).not.toBe(0);
    expect(inspect.stderr).toMatch(/No such image: c-e2e\/missing/);
    const rmi = await docker('rmi', 'c-e2e/missing');
    expect(rmi.code).not.toBe(0);
    expect(rmi.stderr).toMatch(/No such image: c-e2e\/missing/);
    const pull = await docker('pull', `${registry?.host}/missing`);
    expect(pull.code).not.toBe(0);
    expect(pull.stderr).toMatch(/Error response from daemon: .*missing/);
  });

  it('docker run uses the pulled image without pulling again', async () => {
    const runResult = await docker('run', '--rm', busybox, 'echo', 'from the pulled image');
    expect(runResult.code, runResult.stderr).toBe(0);
    expect(runResult.stdout).toBe('from the pulled image\n');
    expect(runResult.stderr).not.toContain('Unable to find image');
  });

  it('docker push sends a tagged image to the registry', async () => {
    const target = `${registry?.host}/pushed:v1`;
    expect((await docker('tag', busybox, target)).code).toBe(0);
    const push = await docker('push', target);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout).toContain(`The push refers to repository [${registry?.host}/pushed]`);
    expect(push.stdout).toMatch(/v1: digest: sha256:[0-9a-f]{64} size: \d+/);
    const manifest = await fetch(`http://${registry?.host}/v2/pushed/manifests/v1`, {
      headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(manifest.status).toBe(200);
    expect(((await manifest.json()) as { config: { digest: string } }).config.digest).toBe(image.configDigest);
  });

  it('dockerode pulls with followProgress, lists and inspects', async () => {
    const client = new Docker({ socketPath: socket });
    expect((await docker('rmi', `${busybox}:latest`)).code).toBe(0);
    const stream = await client.pull(`${busybox}:latest`);
    const events = await new Promise<Array<{ status?: string; error?: string }>>((resolve, reject) => {
      client.modem.followProgress(stream, (error: Error | null, output: Array<{ status?: string }>) =>
        error ? reject(error) : resolve(output),
      );
    });
    expect(events.map((e) => e.status)).toContain(`Status: Downloaded newer image for ${busybox}:latest`);
    const images = await client.listImages();
    expect(images.find((i) => i.Id === image.configDigest)?.RepoTags).toContain(`${busybox}:latest`);
    const inspected = await client.getImage(`${busybox}:latest`).inspect();
    expect(inspected.Id).toBe(image.configDigest);
    const missing = await client.getImage('c-e2e/missing').inspect().catch((error: { statusCode?: number; message: string }) => error);
    expect(missing).toMatchObject({ statusCode: 404 });
    expect((missing as Error).message).toMatch(/No such image: c-e2e\/missing/);
  });

  it('docker import stores a tarball with --change edits', async () => {
    const tarball = join(dir, 'rootfs.tar');
    await writeFile(tarball, await layerTar());
    const imported = await docker('import', '--change', 'CMD ["/bin/sh"]', '--message', 'from e2e', tarball, 'c-e2e/imported:v1');
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    const cmd = await docker('image', 'inspect', '--format', '{{json .Config.Cmd}} {{.Comment}}', 'c-e2e/imported:v1');
    expect(cmd.stdout.trim()).toBe('["/bin/sh"] from e2e');
    expect(imported.stdout.trim()).toBe((await docker('image', 'inspect', '--format', '{{.Id}}', 'c-e2e/imported:v1')).stdout.trim());
  });

  it('docker login checks credentials with the registry, and pulls then send them (X-Registry-Auth)', async () => {
    const host = privateRegistry?.host ?? '';
    const anonymous = await docker('pull', `${host}/busybox`);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toContain(`pull access denied for ${host}/busybox, repository does not exist or may require 'docker login'`);
    const wrong = await docker('login', host, '-u', 'c', '-p', 'wrong');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Error response from daemon: .*(refused|unauthorized)/i);
    const login = await docker('login', host, '-u', 'c', '-p', 'secret');
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain('Login Succeeded');
    // docker saves the login in the client's config; the daemon stores nothing.
    const saved = await readFile(join(dir, 'docker-config', 'config.json'), 'utf8');
    expect(Object.keys((JSON.parse(saved) as { auths: Record<string, unknown> }).auths)).toContain(host);
    expect(existsSync(join(dir, 'daemon-docker-config', 'config.json'))).toBe(false);
    const pull = await docker('pull', `${host}/busybox`);
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stdout).toContain(`Status: Downloaded newer image for ${host}/busybox:latest`);
  });

  it('the typed EngineClient reads the same daemon', async () => {
    const client = new EngineClient({ socketPath: socket });
    expect((await client.ping()).apiVersion).toBe('1.43');
    expect((await client.info()).Images).toBeGreaterThanOrEqual(1);
    await expect(client.images.inspect('c-e2e/missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('c-daemon refuses TCP, a live socket and unknown flags, and prints its version', async () => {
    const node = process.execPath;
    const version = await run(node, [DAEMON_BIN, '--version']);
    expect(version.stdout).toMatch(/^c-daemon \d+\.\d+\.\d+\n$/);
    const tcp = await run(node, [DAEMON_BIN, '-H', 'tcp://0.0.0.0:2375', '--root', join(dir, 'other-root')]);
    expect(tcp.code).toBe(2);
    expect(tcp.stderr).toMatch(/unix sockets only, not tcp:\/\/0.0.0.0:2375/);
    const unknown = await run(node, [DAEMON_BIN, '--tlsverify']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option --tlsverify/);
    const second = await run(node, [DAEMON_BIN, '-H', `unix://${socket}`, '--root', join(dir, 'other-root')]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/another daemon is serving it/);
    // The first daemon still answers.
    expect((await docker('version', '--format', '{{.Server.Version}}')).code).toBe(0);
  });

  it('shuts down on SIGTERM and removes its socket', async () => {
    expect((await stat(socket)).mode & 0o777).toBe(0o660);
    const code = await daemon?.stop();
    expect(code).toBe(0);
    expect(existsSync(socket)).toBe(false);
    expect(daemon?.logs()).toMatch(/received SIGTERM, shutting down/);
    daemon = undefined;
  });
});
