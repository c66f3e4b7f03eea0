import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { O, linuxSyscalls } from '@c/namespaces';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPtyOutput } from './pty-output';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-pty-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const LINES = 20_000;

/** This process's open pty masters (every fd onto /dev/ptmx). */
function openMasters(): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === '/dev/ptmx') count += 1;
    } catch {
      // closed meanwhile (readdir's own fd)
    }
  }
  return count;
}

/** The worker closes its tty handle's fd just after the stream's end (libuv closes handles asynchronously). */
async function mastersSettleAt(expected: number): Promise<number> {
  // A generous deadline: on a loaded machine (CI runs the e2e suite beside this) the close can take a while.
  const deadline = Date.now() + 10_000;
  while (openMasters() !== expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return openMasters();
}

/**
 * Runs `seq 1 LINES` on a fresh pty's slave (as a tty container's process does), the master read and logged by the
 * output worker; resolves with the log's text once the worker has let go of the master.
 */
async function runOnPty(log: string, tap: boolean): Promise<{ logged: string; tapped: string }> {
  const pty = linuxSyscalls.openpty();
  const slave = openSync(pty.slavePath, O.RDWR | O.NOCTTY);
  const output = openPtyOutput(pty.master, { path: log, maxSize: 1 << 30, maxFile: 1 });
  let tapped = '';
  if (tap) {
    output.reader.setTap(true);
    output.reader.on('data', (d: Buffer) => (tapped += d.toString()));
  }
  const exited = new Promise((resolve, reject) => {
    const child = spawn('seq', ['1', String(LINES)], { stdio: ['ignore', slave, 'ignore'] });
    child.once('error', reject);
    child.once('exit', resolve);
  });
  // The child holds the slave now: its exit is the last close, as a container's is.
  closeSync(slave);
  await exited;
  await output.reader.released;
  output.writer.destroy();
  const logged = readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { log: string }).log)
    .join('');
  return { logged, tapped };
}

// A tty's line discipline turns each \n into \r\n.
const expected = Array.from({ length: LINES }, (_, i) => `${i + 1}\r\n`).join('');

describe('pty output', () => {
  // The last few KB of a tty container's output sat in the pty (the line discipline and its flip buffer) when its
  // process exited; the output worker must log them all, not stop at the hang-up. Repeated: the loss was a race.
  it('logs every byte a process writes to the slave before its exit, untapped and tapped', async () => {
    const before = openMasters();
    for (let run = 0; run < 10; run += 1) {
      const untapped = await runOnPty(join(dir, `u${run}-json.log`), false);
      expect(untapped.logged.length, `untapped run ${run}`).toBe(expected.length);
      expect(untapped.logged).toBe(expected);
      const tapped = await runOnPty(join(dir, `t${run}-json.log`), true);
      expect(tapped.logged, `tapped run ${run}`).toBe(expected);
      expect(tapped.tapped, `tapped run ${run}`).toBe(expected);
    }
    // The worker closes the last run's tty fd just after its end; on a loaded machine that came after the next
    // test's first count, which then waited for a stale fd's count that never came back (1 in 60 at load 14).
    expect(await mastersSettleAt(before)).toBe(before);
  }, 60_000);

  it('closes all its fds: after the output ends, and when the engine lets go while the slave is still open', async () => {
    const before = openMasters();
    await runOnPty(join(dir, 'ended-json.log'), false);
    expect(await mastersSettleAt(before)).toBe(before);

    const pty = linuxSyscalls.openpty();
    const slave = openSync(pty.slavePath, O.RDWR | O.NOCTTY);
    try {
      const output = openPtyOutput(pty.master, { path: join(dir, 'let-go-json.log'), maxSize: 1 << 20, maxFile: 1 });
      expect(openMasters()).toBe(before + 3);
      writeSync(slave, 'still running\n');
      output.reader.destroy();
      output.writer.destroy();
      await output.reader.released;
      expect(await mastersSettleAt(before)).toBe(before);
    } finally {
      closeSync(slave);
    }
  });
});
