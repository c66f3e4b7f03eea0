import { spawn } from 'node:child_process';
import { existsSync, fstatSync, mkdtempSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStdinFifo, stdinFifoPath } from './stdin-fifo';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-stdin-fifo-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('stdin FIFO', () => {
  it('carries what the engine writes to the reader fd, which sees EOF once the writer ends', async () => {
    const fifo = openStdinFifo(dir);
    try {
      expect(statSync(stdinFifoPath(dir)).isFIFO()).toBe(true);
      expect(fstatSync(fifo.reader).isFIFO()).toBe(true);
      const closed = new Promise((resolve) => fifo.writer.on('close', resolve));
      fifo.writer.end('to the container\n');
      await closed;
      // A blocking read: it would hang (not return 0) if any writer were still open.
      const buffer = Buffer.alloc(64);
      const n = readSync(fifo.reader, buffer, 0, buffer.length, null);
      expect(buffer.subarray(0, n).toString()).toBe('to the container\n');
      expect(readSync(fifo.reader, buffer, 0, buffer.length, null)).toBe(0);
    } finally {
      fifo.closeReader();
      fifo.writer.destroy();
    }
  });

  it('busybox cat with the FIFO on fd 0 echoes its input and exits on EOF', async () => {
    if (!existsSync('/bin/busybox')) return;
    const fifo = openStdinFifo(dir);
    const child = spawn('/bin/busybox', ['cat'], { stdio: [fifo.reader, 'pipe', 'inherit'] });
    fifo.closeReader();
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    fifo.writer.write('one\n');
    fifo.writer.end('two\n');
    expect(await exited).toBe(0);
    expect(out).toBe('one\ntwo\n');
  });
});
