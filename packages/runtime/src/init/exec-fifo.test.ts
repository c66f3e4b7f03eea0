import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awaitStart, holdExecFifo, releaseExecFifo } from './exec-fifo';

// Real fifos (mkfifo needs no privilege). The blocking wait itself is covered end to end (tests/e2e runtime
// create-user): here `start` writes first, so awaitStart returns at once.
let dir: string;
let fifo: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-runtime-fifo-'));
  fifo = join(dir, 'exec.fifo');
  expect(spawnSync('mkfifo', ['-m', '600', fifo]).status).toBe(0);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The open flags of one of our fds, from /proc/self/fdinfo (octal). */
function openFlags(fd: number): number {
  return Number.parseInt(/^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
}

describe('exec.fifo handshake', () => {
  it('the init holds the fifo read-write and close-on-exec, without blocking though nobody else has it open', () => {
    const fd = holdExecFifo(fifo);
    try {
      expect(fstatSync(fd).isFIFO()).toBe(true);
      const flags = openFlags(fd);
      expect(flags & 0o3).toBe(0o2); // O_RDWR
      expect(flags & 0o2000000).not.toBe(0); // O_CLOEXEC
    } finally {
      closeSync(fd);
    }
  });

  it('start writes the byte the held fifo delivers to awaitStart', () => {
    const fd = holdExecFifo(fifo);
    expect(releaseExecFifo(fifo)).toBe(true);
    awaitStart(fd);
    // Consumed: the fifo is empty again (a second start would have to write anew).
    const probe = holdExecFifo(fifo);
    try {
      expect(releaseExecFifo(fifo)).toBe(true);
    } finally {
      closeSync(probe);
    }
  });

  it('start is told (instead of blocking) when no init holds the fifo: never held, or held and gone', () => {
    expect(releaseExecFifo(fifo)).toBe(false);
    closeSync(holdExecFifo(fifo));
    expect(releaseExecFifo(fifo)).toBe(false);
  });

  it('start fails with the cause when the fifo is missing', () => {
    rmSync(fifo);
    expect(() => releaseExecFifo(fifo)).toThrow(/ENOENT/);
  });
});
