import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fifoPath, openOutputFifos, reopenOutputFifos } from './output-fifos';
import type { PumpedReadable } from './output-pump';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-fifo-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Taps a pumped reader and collects everything until it closes. */
function readAll(stream: PumpedReadable): Promise<string> {
  stream.setTap(true);
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

  it('a writer holding the FIFO read-write gets no EPIPE while no reader is open, and a new reader logs what was written', async () => {
    const fifos = openOutputFifos(dir);
    fifos.readers.stdout.destroy();
    fifos.readers.stderr.destroy();
    await Promise.all([fifos.readers.stdout.released, fifos.readers.stderr.released]);
    // This is the container writing while no engine runs.
    expect(() => writeSync(fifos.writers.stdout, 'while nobody listened\n')).not.toThrow();
    // A new engine adopts the container: its reader logs from where the last one stopped.
    const log = join(dir, 'adopted-json.log');
    const readers = reopenOutputFifos(dir, { path: log, maxSize: 1 << 20, maxFile: 1 })!;
    const closed = Promise.all([readers.stdout.released, readers.stderr.released]);
    writeSync(fifos.writers.stdout, 'after\n');
    fifos.closeWriters();
    await closed;
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { log: string }).log);
    expect(lines).toEqual(['while nobody listened\n', 'after\n']);
  });

  it('reopen finds nothing for a container without FIFOs', () => {
    expect(reopenOutputFifos(dir)).toBeUndefined();
  });

  // busybox cat copies a socket stdin into the FIFO with sendfile(2), holding the FIFO's pipe mutex while it waits
  // for more input: a read of the FIFO on the event loop would sleep in the kernel until the next input, which only
  // the event loop could write (a deadlock). Read on the output worker, the loop keeps running.
  it.skipIf(!existsSync('/bin/busybox'))('a read stuck behind a writer that splices from a socket does not stop the event loop', async () => {
    const fifos = openOutputFifos(dir);
    const child = spawn('/bin/busybox', ['cat'], { stdio: ['pipe', fifos.writers.stdout, 'ignore'] });
    fifos.closeWriters();
    fifos.readers.stderr.destroy();
    let text = '';
    fifos.readers.stdout.setTap(true);
    fifos.readers.stdout.on('data', (d: Buffer) => (text += d.toString()));
    const closed = new Promise((r) => fifos.readers.stdout.once('close', r));
    try {
      child.stdin!.write('one\n');
      // A stuck loop would never fire these timers (the test would time out). The bounds keep a slow loop from
      // passing: loose for any one tick, tighter for the median, as CI runs the e2e suite beside this.
      const ticks: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        const before = performance.now();
        await new Promise((r) => setTimeout(r, 20));
        ticks.push(performance.now() - before);
      }
      expect(Math.max(...ticks)).toBeLessThan(1500);
      expect(ticks.sort((a, b) => a - b)[2]).toBeLessThan(200);
      child.stdin!.end('two\n');
      await closed;
      expect(text).toBe('one\ntwo\n');
    } finally {
      child.kill('SIGKILL');
    }
  }, 10_000);

  it('the worker logs every byte, tapped or not, and closes the log (partial line flushed) before the streams end', async () => {
    const log = join(dir, 'ctr-json.log');
    const fifos = openOutputFifos(dir, { path: log, maxSize: 1 << 30, maxFile: 1 });
    let tapped = '';
    fifos.readers.stderr.setTap(true);
    fifos.readers.stderr.on('data', (d: Buffer) => (tapped += d.toString()));
    let untapped = 0;
    fifos.readers.stdout.on('data', () => (untapped += 1));
    const closed = Promise.all([fifos.readers.stdout, fifos.readers.stderr].map((r) => new Promise((resolve) => r.once('close', resolve))));
    const line = `${'x'.repeat(999)}\n`;
    for (let i = 0; i < 2000; i += 1) writeSync(fifos.writers.stdout, line);
    writeSync(fifos.writers.stderr, 'err line\nno newline');
    fifos.closeWriters();
    await closed;
    expect(untapped).toBe(0);
    expect(tapped).toBe('err line\nno newline');
    const entries = readFileSync(log, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
    expect(entries.filter((e) => e.stream === 'stdout').map((e) => e.log).join('')).toBe(line.repeat(2000));
    expect(entries.filter((e) => e.stream === 'stderr').map((e) => e.log)).toEqual(['err line\n', 'no newline']);
    expect(entries[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  });
});
