import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linuxSyscalls } from '@c/namespaces';
import { afterEach, expect, test } from 'vitest';
import { spawnProcess, waitExit, type SpawnedProcess } from './spawned-process';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function ended(child: SpawnedProcess): Promise<[number | null, NodeJS.Signals | null]> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
}

test('reports the exit code through an exit event, and stops listening for SIGCHLD once none is left', async () => {
  const before = process.listenerCount('SIGCHLD');
  const child = spawnProcess(linuxSyscalls, '/bin/sh', ['sh', '-c', 'exit 3'], ['ignore', 'ignore', 'ignore'], []);
  expect(process.listenerCount('SIGCHLD')).toBe(before + 1);
  expect(await ended(child)).toEqual([3, null]);
  expect([child.exitCode, child.signalCode]).toEqual([3, null]);
  expect(process.listenerCount('SIGCHLD')).toBe(before);
});

test('names the signal that killed the child; several children are reaped independently', async () => {
  const sleeper = spawnProcess(linuxSyscalls, '/bin/sleep', ['sleep', '30'], ['ignore', 'ignore', 'ignore'], []);
  const quick = spawnProcess(linuxSyscalls, '/bin/true', ['true'], ['ignore', 'ignore', 'ignore'], []);
  expect(await ended(quick)).toEqual([0, null]);
  expect(sleeper.exitCode).toBeNull();
  process.kill(sleeper.pid, 'SIGTERM');
  expect(await ended(sleeper)).toEqual([null, 'SIGTERM']);
});

test('stdio entries and extra fds become the child fds 0-2 and 3...', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'c-spawned-'));
  dirs.push(dir);
  const out = openSync(join(dir, 'out'), 'w');
  const extra = openSync(join(dir, 'extra'), 'w');
  try {
    const child = spawnProcess(linuxSyscalls, '/bin/sh', ['sh', '-c', 'echo out; echo err >&2; echo extra >&3; read x || echo "stdin empty"'], ['ignore', out, out], [extra]);
    await waitExit(child, 15_000); // generous: on a loaded machine a shell's start and exit can take seconds
    expect(child.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('out\nerr\nstdin empty\n');
    expect(readFileSync(join(dir, 'extra'), 'utf8')).toBe('extra\n');
  } finally {
    closeSync(out);
    closeSync(extra);
  }
});

test('a program that cannot be started throws and leaves no SIGCHLD listener behind', () => {
  const before = process.listenerCount('SIGCHLD');
  expect(() => spawnProcess(linuxSyscalls, '/nonexistent/c-init', ['x'], ['ignore', 'ignore', 'ignore'], [])).toThrow('ENOENT');
  expect(process.listenerCount('SIGCHLD')).toBe(before);
});
