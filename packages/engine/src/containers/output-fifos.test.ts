import { mkdtempSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fifoPath, openOutputFifos, reopenOutputFifos } from './output-fifos';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-fifo-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function readAll(stream: Readable): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    stream.on('close', () => resolve(text));
  });
}

describe('output FIFOs', () => {
  it('carry what the writer side writes and end once the last writer closes', async () => {
    const fifos = openOutputFifos(dir);
    expect(statSync(fifoPath(dir, 'stdout')).isFIFO()).toBe(true);
    const out = readAll(fifos.readers.stdout);
    const err = readAll(fifos.readers.stderr);
    writeSync(fifos.writers.stdout, 'hello\n');
    writeSync(fifos.writers.stderr, 'oops\n');
    fifos.closeWriters();
    expect(await out).toBe('hello\n');
    expect(await err).toBe('oops\n');
  });

  it('a writer holding the FIFO read-write gets no EPIPE while no reader is open, and a new reader gets what was written', async () => {
    const fifos = openOutputFifos(dir);
    fifos.readers.stdout.destroy();
    fifos.readers.stderr.destroy();
    await new Promise((r) => setTimeout(r, 20));
    // This is the container writing while no engine runs.
    expect(() => writeSync(fifos.writers.stdout, 'while nobody listened\n')).not.toThrow();
    const readers = reopenOutputFifos(dir)!;
    const out = readAll(readers.stdout);
    readers.stderr.destroy();
    writeSync(fifos.writers.stdout, 'after\n');
    fifos.closeWriters();
    expect(await out).toBe('while nobody listened\nafter\n');
  });

  it('reopen finds nothing for a container without FIFOs', () => {
    expect(reopenOutputFifos(dir)).toBeUndefined();
  });
});
