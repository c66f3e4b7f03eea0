/**
 * Test support: runs a TypeScript fixture in a separate Node process (through tsx, with the workspace's
 * c-source condition) and tracks it so every test can kill what it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface TsChild {
  process: ChildProcess;
  /** Resolves with the first stdout line that contains `text`. */
  waitForLine(text: string, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  stderr(): string;
}

const running = new Set<ChildProcess>();

export function spawnTsChild(fixture: string, args: string[], env: Record<string, string> = {}): TsChild {
  const child = spawn(process.execPath, ['--conditions=c-source', '--import', 'tsx', fixture, ...args], {
    cwd: PACKAGE_DIR,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  running.add(child);
  let out = '';
  let err = '';
  const waiters: Array<{ text: string; resolve: (line: string) => void }> = [];
  child.stdout.setEncoding('utf8').on('data', (data: string) => {
    out += data;
    for (const waiter of [...waiters]) {
      const line = out.split('\n').find((candidate) => candidate.includes(waiter.text));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (data: string) => (err += data));
  const exited = new Promise<number | string>((resolveExit) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolveExit(code ?? signal ?? -1);
    });
  });
  return {
    process: child,
    exited,
    stderr: () => err,
    waitForLine(text, timeoutMs = 15_000) {
      const line = out.split('\n').find((candidate) => candidate.includes(text));
      if (line !== undefined) return Promise.resolve(line);
      return new Promise((resolveLine, reject) => {
        const timer = setTimeout(() => reject(new Error(`child never printed "${text}"; stderr: ${err}`)), timeoutMs);
        waiters.push({
          text,
          resolve: (found) => {
            clearTimeout(timer);
            resolveLine(found);
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`child exited (${code}) before printing "${text}"; stderr: ${err}`));
        });
      });
    },
  };
}

/** Kills (SIGKILL) every child still running and waits for them; call from afterEach. */
export async function killAllChildren(): Promise<void> {
  const waits = [...running].map(
    (child) =>
      new Promise<void>((resolveExit) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolveExit();
        child.once('exit', () => resolveExit());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
}

export function fixturePath(importMetaUrl: string, name: string): string {
  return resolve(dirname(fileURLToPath(importMetaUrl)), name);
}
