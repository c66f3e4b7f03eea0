// Privileged: podman drives c-runtime as its OCI runtime (create/start/exec/kill/delete, console socket for -t).
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, isRoot, makeRootfs, workspace } from './helpers';

const ws = workspace('podman');
const hasPodman = spawnSync('sh', ['-c', 'command -v podman']).status === 0;

function podman(args: string[], input = '') {
  const root = join(ws.dir, 'podman');
  const global = [
    '--root', `${root}/root`, '--runroot', `${root}/runroot`, '--tmpdir', `${root}/tmp`,
    '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none', '--runtime', CLI,
  ];
  return spawnSync('podman', [...global, ...args], { encoding: 'utf8', input, timeout: 120_000 });
}

beforeAll(() => {
  if (!hasPodman || !isRoot()) return;
  ensureBuilt();
  const rootfs = join(ws.dir, 'rootfs');
  makeRootfs(rootfs);
  const tar = join(ws.dir, 'rootfs.tar');
  spawnSync('tar', ['-C', rootfs, '-cf', tar, '.']);
  const imported = podman(['import', tar, 'localhost/c-e2e-busybox:latest']);
  if (imported.status !== 0) throw new Error(`podman import failed: ${imported.stderr}`);
}, 300_000);
/**
 * Waits until no process names this podman root in its command line. conmon runs podman's exit command
 * (`container cleanup --rm`) in the background after a container ends, and that can still write under the root after
 * `podman run --rm` or `rm -f` returned: removing the root meanwhile failed once with ENOTEMPTY (a CI run at load 12).
 */
async function podmanSettled(root: string, deadlineMs = 30_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  const namesRoot = (pid: string) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(root);
    } catch {
      return false; // ended meanwhile
    }
  };
  while (readdirSync('/proc').some((entry) => /^\d+$/.test(entry) && namesRoot(entry))) {
    if (Date.now() > deadline) throw new Error(`podman processes under ${root} still run after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

afterAll(async () => {
  try {
    if (hasPodman) {
      podman(['rm', '-a', '-f', '-t', '0']);
      await podmanSettled(join(ws.dir, 'podman'));
    }
  } finally {
    await ws.cleanup();
  }
});

// podman is not part of the base image: `apt-get install -y podman`. No containers.conf is needed: c-runtime
// clamps podman's default nofile limit (1048576) to the host's 20000 with a warning instead of failing.
describe.skipIf(!isRoot() || !hasPodman)('podman --runtime c-runtime', () => {
  it('podman run --rm IMAGE echo hi', () => {
    const r = podman(['run', '--rm', '--network', 'none', 'localhost/c-e2e-busybox', 'echo', 'hi']);
    expect(r.stdout).toBe('hi\n');
    expect(r.status).toBe(0);
  });

  it('passes the exit status and allocates a tty with -t (console socket)', () => {
    const r = podman(['run', '--rm', '-t', '--network', 'none', 'localhost/c-e2e-busybox', 'sh', '-c', '[ -t 1 ] && echo tty-ok; exit 3']);
    expect(r.stdout).toMatch(/tty-ok/);
    expect(r.status).toBe(3);
  });

  it('exec into a running container, then stop and remove it', () => {
    expect(podman(['run', '-d', '--name', 'c-e2e-exec', '--network', 'none', 'localhost/c-e2e-busybox', 'sleep', '60']).status).toBe(0);
    const r = podman(['exec', 'c-e2e-exec', 'sh', '-c', 'echo exec-ok; exit 6']);
    expect(r.stdout).toBe('exec-ok\n');
    expect(r.status).toBe(6);
    expect(podman(['rm', '-f', '-t', '0', 'c-e2e-exec']).status).toBe(0);
  });
});
