/** Starts the built c-daemon binary on a temp socket and root, as a real client would find it. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { removeEngineNetwork } from '../../engine-network-cleanup';

const run = promisify(execFile);
export const DAEMON_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../apps/daemon');
export const DAEMON_BIN = join(DAEMON_DIR, 'dist/c-daemon.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds apps/daemon when dist is missing or older than its sources (turbo builds it first in CI). */
export async function ensureDaemonBuilt(): Promise<void> {
  if (existsSync(DAEMON_BIN) && statSync(DAEMON_BIN).mtimeMs >= newestMtime(join(DAEMON_DIR, 'src'))) return;
  await run('pnpm', ['--filter', '@c/daemon', 'build'], { cwd: DAEMON_DIR, maxBuffer: 16 * 1024 * 1024 });
}

export interface DaemonProcess {
  socket: string;
  root: string;
  child: ChildProcess;
  /** Everything the daemon wrote to stderr so far. */
  logs(): string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolvePing) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET' }, (res) => {
      res.resume();
      resolvePing(res.statusCode === 200);
    });
    req.on('error', () => resolvePing(false));
    req.end();
  });
}

export async function startDaemonProcess(socket: string, root: string, env: NodeJS.ProcessEnv = {}): Promise<DaemonProcess> {
  const started = performance.now();
  const child = spawn(process.execPath, [DAEMON_BIN, '-H', `unix://${socket}`, '--root', root], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, C_ROOT: '', ...env },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const stderrEnded = new Promise<void>((resolveEnd) => child.stderr?.once('close', () => resolveEnd()));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const code = await exited;
    // The exit can be handled before the last of its stderr is read (logs() would miss its goodbye): wait for the
    // pipe's end, bounded, as a container the daemon left running may hold the pipe open.
    await Promise.race([stderrEnded, new Promise((r) => setTimeout(r, 2000))]);
    removeEngineNetwork(root);
    return code;
  };
  const deadline = Date.now() + 60_000; // generous: start-up on a loaded 2-core CI machine
  while (!(await ping(socket))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`c-daemon did not come up on ${socket}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const startupMs = performance.now() - started;
  return { socket, root, child, logs: () => `${stderr}\n(start-up ${startupMs.toFixed(0)} ms)`, stop };
}
