/**
 * Starting c-daemon: in the background for the auto-start (detached, its log in `<root>/daemon.log`, its pid in
 * `<root>/daemon.pid`), or in the foreground for `c daemon`. The daemon is spawned from its own bin so that none of
 * the engine is loaded into the CLI.
 */
import { mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { CError } from '@c/errors';

// Loaded on first use: `c run` bundles this module but starts a daemon only when none answers (~1 ms saved per run).
const childProcess = () => createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');

/** The built c-daemon entry of the workspace package @c/daemon. */
export function daemonBinPath(): string {
  if (process.env.C_DAEMON_BIN) return process.env.C_DAEMON_BIN;
  // createRequire: the CLI ships as CommonJS, where import.meta.resolve does not exist.
  const manifest = createRequire(import.meta.url).resolve('@c/daemon/package.json');
  return join(dirname(manifest), 'dist', 'c-daemon.js');
}

export function daemonArgs(root: string, socketPath: string): string[] {
  return ['--root', root, '-H', `unix://${socketPath}`];
}

export interface StartedDaemon {
  pid: number;
  log: string;
  /** The exit status once the daemon has exited (it should not: a daemon that dies at start-up failed). */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/** Spawns the daemon detached; it outlives this process. */
export function startDaemonInBackground(root: string, socketPath: string): StartedDaemon {
  mkdirSync(root, { recursive: true });
  mkdirSync(dirname(socketPath), { recursive: true });
  const log = join(root, 'daemon.log');
  const fd = openSync(log, 'a');
  try {
    const child = childProcess().spawn(process.execPath, [daemonBinPath(), ...daemonArgs(root, socketPath)], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: process.env,
    });
    if (child.pid === undefined) {
      throw new CError('UNAVAILABLE', `could not start c-daemon for ${socketPath}`, { hint: `see ${log}` });
    }
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    child.on('exit', (code, signal) => {
      exited = { code, signal };
    });
    child.unref();
    writeFileSync(join(root, 'daemon.pid'), `${child.pid}\n`);
    return { pid: child.pid, log, exit: () => exited };
  } finally {
    closeSync(fd);
  }
}

/** `c daemon`: runs c-daemon in the foreground, forwards SIGINT/SIGTERM, exits with its status. */
export function runDaemonInForeground(args: string[]): Promise<number> {
  const child = childProcess().spawn(process.execPath, [daemonBinPath(), ...args], { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  return new Promise((resolve, reject) => {
    child.on('error', (error) => reject(new CError('UNAVAILABLE', `could not run c-daemon: ${error.message}`, { cause: error })));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)));
  });
}
