// Privileged: c-runtime as the runc binary of containerd's runc v2 shim, driven by `ctr` against a private
// containerd (own root, state and sockets under a temp dir; no network: the image is a docker-archive built here).
// Needs Debian's `containerd` package (containerd 1.6, ctr with --runc-binary); skips with the reason otherwise.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, isRoot, makeRootfs } from './helpers';

const IMAGE = 'localhost/c-busybox:latest';
const NAMESPACE = 'c-e2e';

function which(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
}

/** Why this suite cannot run here, or undefined. */
function unavailable(): string | undefined {
  if (!isRoot()) return 'needs root';
  for (const binary of ['containerd', 'ctr', 'containerd-shim-runc-v2', 'tar']) {
    if (!which(binary)) return `${binary} is not installed (apt-get install -y containerd)`;
  }
  const help = spawnSync('ctr', ['run', '--help'], { encoding: 'utf8' });
  if (!help.stdout.includes('--runc-binary')) return 'this ctr has no --runc-binary option';
  return undefined;
}

const reason = unavailable();
if (reason !== undefined) console.warn(`containerd e2e skipped: ${reason}`);

interface Ctr {
  code: number;
  stdout: string;
  stderr: string;
}

let dir = '';
let containerd: ChildProcess | undefined;
let startFailure: string | undefined;
let runtimeWrapper = '';
let callLog = '';

function ctr(args: string[], timeoutMs = 60_000): Ctr {
  const r = spawnSync('ctr', ['--address', join(dir, 'containerd.sock'), '-n', NAMESPACE, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A one-layer docker-archive (docker save's format) of the e2e busybox rootfs. */
function buildImageTar(): string {
  const rootfs = join(dir, 'image-rootfs');
  const work = join(dir, 'image');
  makeRootfs(rootfs);
  mkdirSync(work);
  const tar = spawnSync('tar', ['-C', rootfs, '--numeric-owner', '-cf', join(work, 'layer.tar'), '.']);
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
  const diffId = createHash('sha256').update(readFileSync(join(work, 'layer.tar'))).digest('hex');
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  writeFileSync(
    join(work, 'config.json'),
    JSON.stringify({ architecture: arch, os: 'linux', config: { Env: ['PATH=/bin'], Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] } }),
  );
  writeFileSync(join(work, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: [IMAGE], Layers: ['layer.tar'] }]));
  const archive = join(dir, 'image.tar');
  const pack = spawnSync('tar', ['-C', work, '-cf', archive, 'manifest.json', 'config.json', 'layer.tar']);
  if (pack.status !== 0) throw new Error(`tar failed: ${pack.stderr.toString()}`);
  return archive;
}

async function startContainerd(): Promise<void> {
  const config = join(dir, 'config.toml');
  writeFileSync(
    config,
    [
      'version = 2',
      `root = "${join(dir, 'root')}"`,
      `state = "${join(dir, 'state')}"`,
      // The CRI plugin wants CNI and more; ctr needs none of it.
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${join(dir, 'containerd.sock')}"`,
      '[ttrpc]',
      `  address = "${join(dir, 'containerd.sock.ttrpc')}"`,
      '[debug]',
      `  address = "${join(dir, 'debug.sock')}"`,
      '',
    ].join('\n'),
  );
  const log: string[] = [];
  containerd = spawn('containerd', ['--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  containerd.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
  containerd.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (containerd.exitCode !== null) break;
    if (existsSync(join(dir, 'containerd.sock')) && ctr(['version'], 5000).code === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  startFailure = `containerd did not start: ${log.join('').slice(-2000)}`;
}

async function stopContainerd(): Promise<void> {
  if (!containerd || containerd.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => containerd?.once('exit', () => resolve()));
  containerd.kill('SIGTERM');
  const timer = setTimeout(() => containerd?.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Unmount whatever containerd or the shims left under `dir` (deepest first), so the temp dir can go. */
function unmountUnder(root: string): void {
  const targets = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((target) => target.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
  for (const target of targets) spawnSync('umount', ['-l', target]);
}

function removeTask(id: string): void {
  ctr(['task', 'kill', '-s', 'KILL', id], 10_000);
  for (let i = 0; i < 50 && ctr(['task', 'rm', '-f', id], 10_000).code !== 0; i++) spawnSync('sleep', ['0.1']);
  ctr(['container', 'rm', id], 10_000);
}

describe.skipIf(reason !== undefined)('c-runtime under containerd (ctr --runc-binary)', () => {
  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'c-e2e-containerd-'));
    // The shim execs the runc binary by path: a wrapper that records each call, then runs c-runtime with this node.
    callLog = join(dir, 'calls.log');
    runtimeWrapper = join(dir, 'c-runtime');
    writeFileSync(runtimeWrapper, `#!/bin/sh\necho "$*" >> '${callLog}'\nexec '${process.execPath}' '${CLI}' "$@"\n`);
    chmodSync(runtimeWrapper, 0o755);
    await startContainerd();
    if (startFailure !== undefined) return;
    const imported = ctr(['image', 'import', buildImageTar()]);
    if (imported.code !== 0) startFailure = `ctr image import failed: ${imported.stderr}`;
  }, 180_000);

  afterAll(async () => {
    if (dir === '') return;
    if (startFailure === undefined && containerd?.exitCode === null) {
      for (const line of ctr(['task', 'ls', '-q']).stdout.split('\n').filter(Boolean)) removeTask(line.trim());
      for (const line of ctr(['container', 'ls', '-q']).stdout.split('\n').filter(Boolean)) ctr(['container', 'rm', line.trim()]);
    }
    await stopContainerd();
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  function runArgs(id: string, ...command: string[]): string[] {
    return ['run', '--rm', '--runtime', 'io.containerd.runc.v2', '--runc-binary', runtimeWrapper, IMAGE, id, ...command];
  }

  it('ctr run --rm --runc-binary c-runtime IMAGE id echo hi prints hi', () => {
    expect(startFailure).toBeUndefined();
    const r = ctr(runArgs('c-hi', 'echo', 'hi'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi\n');
    expect(r.code).toBe(0);
    // It was c-runtime the shim drove, through runc's commands.
    const calls = readFileSync(callLog, 'utf8');
    expect(calls).toMatch(/create .*--bundle .*c-hi/);
    expect(calls).toMatch(/start c-hi/);
    expect(calls).toMatch(/delete .*c-hi/);
  });

  it('passes the exit status and runs as PID 1 in its own pid namespace', () => {
    expect(startFailure).toBeUndefined();
    const r = ctr(runArgs('c-status', 'sh', '-c', 'echo pid=$$; ls /proc | grep -c "^[0-9]"; exit 3'));
    expect(r.code).toBe(3);
    const [pid, count] = r.stdout.split('\n');
    expect(pid).toBe('pid=1');
    expect(Number(count)).toBeLessThanOrEqual(4);
  });

  it('ctr task exec into a detached container, then kill and remove it', () => {
    expect(startFailure).toBeUndefined();
    const id = 'c-detached';
    try {
      const started = ctr(['run', '-d', '--runtime', 'io.containerd.runc.v2', '--runc-binary', runtimeWrapper, IMAGE, id, 'sh', '-c', 'while :; do read -t 1 x; done']);
      expect(started.stderr).toBe('');
      expect(started.code).toBe(0);
      expect(ctr(['task', 'ls']).stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+RUNNING`));
      const exec = ctr(['task', 'exec', '--exec-id', 'e1', id, 'sh', '-c', 'echo from-exec; cat /proc/1/cmdline']);
      expect(exec.code).toBe(0);
      expect(exec.stdout).toBe('from-exec\nsh\0-c\0while :; do read -t 1 x; done\0');
      expect(readFileSync(callLog, 'utf8')).toMatch(new RegExp(`exec .*${id}`));
      expect(ctr(['task', 'kill', '-s', 'KILL', id]).code).toBe(0);
      let status = '';
      for (let i = 0; i < 100 && !/STOPPED/.test(status); i++) {
        spawnSync('sleep', ['0.1']);
        status = ctr(['task', 'ls']).stdout;
      }
      expect(status).toMatch(new RegExp(`${id}\\s+\\d+\\s+STOPPED`));
      expect(ctr(['task', 'rm', id]).code).toBe(0);
      expect(ctr(['container', 'rm', id]).code).toBe(0);
      expect(ctr(['task', 'ls', '-q']).stdout.trim()).toBe('');
    } finally {
      removeTask(id);
    }
  });
});
