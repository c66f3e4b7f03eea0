/**
 * Runs the BUILT cli (apps/cli/dist/c.cjs) as a real process, with its own store root and docker config dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeEngineNetwork } from '../../engine-network-cleanup';

const here = dirname(fileURLToPath(import.meta.url));
export const CLI_PATH = resolve(here, '../../../../../apps/cli/dist/c.cjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliEnvironment {
  root: string;
  dockerConfig: string;
  /** Runs `c ARGS…` to completion. */
  run(args: string[], options?: { input?: string | Buffer; env?: Record<string, string> }): Promise<CliResult>;
  /** Starts `c ARGS…` and hands back the process (for kill -9 tests). */
  spawn(args: string[]): ChildProcess;
  cleanup(): void;
}

/**
 * `c` starts a daemon per store root on first use (socket `<root>/c.sock`, pid in `<root>/daemon.pid`): stop it
 * so no test leaves one behind.
 */
export function stopAutoStartedDaemon(root: string): void {
  const pidFile = join(root, 'daemon.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    if (pid > 0) process.kill(pid, 'SIGTERM');
    // Wait (up to 10 s) for it to go, then remove what its networking left on the host.
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let waited = 0; waited < 10_000 && alive(pid); waited += 50) Atomics.wait(pause, 0, 0, 50);
  } catch {
    // already gone
  }
  removeEngineNetwork(root);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function assertBuilt(): void {
  if (!existsSync(CLI_PATH)) {
    throw new Error(`${CLI_PATH} is missing: build first with \`pnpm turbo run build --filter @c/cli...\``);
  }
}

export function cliEnvironment(): CliEnvironment {
  assertBuilt();
  const base = mkdtempSync(join(tmpdir(), 'c-e2e-cli-'));
  const root = join(base, 'root');
  const dockerConfig = join(base, 'docker');
  const env = (extra: Record<string, string> = {}) => ({
    ...process.env,
    C_ROOT: root,
    DOCKER_CONFIG: dockerConfig,
    ...extra,
  });
  const spawnCli = (args: string[], extra?: Record<string, string>) =>
    spawn(process.execPath, [CLI_PATH, ...args], { env: env(extra), stdio: ['pipe', 'pipe', 'pipe'] });
  return {
    root,
    dockerConfig,
    spawn: (args) => spawnCli(args),
    run: (args, options = {}) =>
      new Promise((resolvePromise, reject) => {
        const child = spawnCli(args, options.env);
        let stdout = '';
        let stderr = '';
        child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
        child.stdin?.end(options.input ?? '');
      }),
    cleanup: () => {
      stopAutoStartedDaemon(root);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Fails with everything the command printed, so a broken e2e run explains itself. */
export function expectSuccess(result: CliResult, what: string): CliResult {
  if (result.code !== 0) {
    throw new Error(`${what} exited ${result.code ?? result.signal}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  return result;
}

/**
 * The end of a suite that ran containers through `c` (its auto-started daemon): remove every container, stop the
 * daemon, then remove the root and `work` (a scratch directory of the suite, if any).
 */
export async function tearDownCli(c: CliEnvironment | undefined, work: string | undefined): Promise<void> {
  try {
    if (c) {
      const ids = (await c.run(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await c.run(['rm', '-f', ...ids]);
    }
  } finally {
    if (c) stopAutoStartedDaemon(c.root);
    // Give the daemon a moment to remove its socket before the root goes.
    await new Promise((resolve) => setTimeout(resolve, 300));
    c?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  }
}
