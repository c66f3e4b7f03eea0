import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JsonFileLogWriter, logClock, parseByteSize, readJsonLog, rfc3339Nano, timeToNs } from './json-log';
import type { LogEntry } from './json-log';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-jsonlog-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function collect(it: AsyncIterable<LogEntry>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/** A clock that advances one second per call, from 2024-01-01T00:00:00Z. */
function steppingClock(): () => string {
  let s = 0;
  return () => new Date(Date.UTC(2024, 0, 1, 0, 0, s++)).toISOString().replace('.000Z', '.000000000Z');
}

describe('json-file log', () => {
  it('writes docker\'s line format, splitting chunks into lines and keeping partial lines for later', () => {
    const path = join(dir, 'x-json.log');
    const w = new JsonFileLogWriter(path, { now: () => '2024-01-01T00:00:00.123456789Z' });
    w.write('stdout', Buffer.from('hel'));
    w.write('stdout', Buffer.from('lo\nwor'));
    w.write('stderr', 'oops\n');
    w.write('stdout', Buffer.from([0xc3])); // half of "é"
    w.write('stdout', Buffer.from([0xa9, 0x0a]));
    w.write('stdout', 'tail');
    w.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toEqual([
      '{"log":"hello\\n","stream":"stdout","time":"2024-01-01T00:00:00.123456789Z"}',
      '{"log":"oops\\n","stream":"stderr","time":"2024-01-01T00:00:00.123456789Z"}',
      '{"log":"woré\\n","stream":"stdout","time":"2024-01-01T00:00:00.123456789Z"}',
      '{"log":"tail","stream":"stdout","time":"2024-01-01T00:00:00.123456789Z"}',
    ]);
  });

  it('splits lines longer than 16 KiB into partial messages', () => {
    const path = join(dir, 'long.log');
    const w = new JsonFileLogWriter(path);
    w.write('stdout', `${'a'.repeat(40_000)}\n`);
    w.close();
    const entries = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { log: string });
    expect(entries.map((e) => e.log.length)).toEqual([16384, 16384, 40_000 - 32768 + 1]);
    expect(entries.map((e) => e.log).join('')).toBe(`${'a'.repeat(40_000)}\n`);
  });

  it('rotates by max-size into max-file files and reads them back in order', async () => {
    const path = join(dir, 'r-json.log');
    const w = new JsonFileLogWriter(path, { maxSize: 400, maxFile: 3, now: steppingClock() });
    for (let i = 0; i < 40; i++) w.write('stdout', `line ${i}\n`);
    w.close();
    expect(readdirSync(dir).sort()).toEqual(['r-json.log', 'r-json.log.1', 'r-json.log.2']);
    for (const f of readdirSync(dir)) expect(readFileSync(join(dir, f)).length).toBeLessThanOrEqual(400);
    const entries = await collect(readJsonLog(path));
    const numbers = entries.map((e) => Number(e.line.slice(5)));
    // The oldest lines are gone; what remains is a contiguous, ordered suffix ending with the last line.
    expect(numbers.at(-1)).toBe(39);
    expect(numbers[0]).toBeGreaterThan(0);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => numbers[0]! + i));
  });

  it('max-file 1 truncates instead of keeping old files', () => {
    const path = join(dir, 'one.log');
    const w = new JsonFileLogWriter(path, { maxSize: 200, maxFile: 1 });
    for (let i = 0; i < 20; i++) w.write('stdout', `line ${i}\n`);
    w.close();
    expect(readdirSync(dir)).toEqual(['one.log']);
  });

  it('filters by stream, since, until, and tail', async () => {
    const path = join(dir, 'f.log');
    const w = new JsonFileLogWriter(path, { now: steppingClock() });
    for (let i = 0; i < 10; i++) w.write(i % 2 === 0 ? 'stdout' : 'stderr', `${i}\n`);
    w.close();
    const lines = async (o: Parameters<typeof readJsonLog>[1]) => (await collect(readJsonLog(path, o))).map((e) => e.line.trim());
    expect(await lines({})).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(await lines({ stderr: false })).toEqual(['0', '2', '4', '6', '8']);
    expect(await lines({ tail: 3 })).toEqual(['7', '8', '9']);
    expect(await lines({ tail: 0 })).toEqual([]);
    expect(await lines({ tail: 2, stdout: false })).toEqual(['7', '9']);
    expect(await lines({ since: '2024-01-01T00:00:07Z' })).toEqual(['7', '8', '9']);
    expect(await lines({ until: '2024-01-01T00:00:02Z' })).toEqual(['0', '1']);
    expect(await lines({ since: String(Date.UTC(2024, 0, 1, 0, 0, 5) / 1000) })).toEqual(['5', '6', '7', '8', '9']);
  });

  it('follow yields lines written later, across a rotation, and ends when the writer is done', async () => {
    const path = join(dir, 'follow.log');
    const w = new JsonFileLogWriter(path, { maxSize: 300, maxFile: 2 });
    w.write('stdout', 'first\n');
    let done = false;
    const seen: string[] = [];
    const reader = (async () => {
      for await (const e of readJsonLog(path, { follow: true, isDone: () => done, pollMs: 10 })) seen.push(e.line.trim());
    })();
    // Each line once the reader has the one before: a reader that falls a whole file behind loses lines to the
    // rotation (as docker's does), which a loaded machine could otherwise make happen here.
    const deadline = Date.now() + 10_000;
    for (let i = 0; i < 12; i++) {
      w.write('stdout', `n${i}\n`);
      while (!seen.includes(`n${i}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    }
    w.close();
    done = true;
    await reader;
    expect(seen).toEqual(['first', ...Array.from({ length: 12 }, (_, i) => `n${i}`)]);
  });

  it('sizes and times', () => {
    expect(parseByteSize('10m')).toBe(10 * 1024 * 1024);
    expect(parseByteSize('512k')).toBe(512 * 1024);
    expect(parseByteSize('100')).toBe(100);
    expect(() => parseByteSize('ten')).toThrow(/invalid size/);
    const before = Date.now();
    const now = rfc3339Nano();
    const after = Date.now();
    expect(now).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    // The wall clock's milliseconds; keeping the order across a wrap of the monotonic digits can add one.
    const ms = Number(timeToNs(now) / 1_000_000n);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after + 1);
    expect(timeToNs('2024-01-01T00:00:00.5Z')).toBe(BigInt(Date.UTC(2024, 0, 1)) * 1_000_000n + 500_000_000n);
  });
});

describe('logClock', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is strictly increasing and stays within a millisecond of the wall clock', () => {
    const clock = logClock();
    let last = 0n;
    for (let i = 0; i < 20_000; i++) {
      const before = BigInt(Date.now());
      const ns = clock();
      const after = BigInt(Date.now());
      expect(ns > last).toBe(true);
      expect(ns / 1_000_000n >= before && ns / 1_000_000n <= after + 1n).toBe(true);
      last = ns;
    }
  });

  it('follows a wall clock that steps forward or back (NTP, a resumed VM), as docker does', () => {
    const clock = logClock();
    const start = Date.now();
    const wall = vi.spyOn(Date, 'now').mockReturnValue(start + 3_600_000);
    expect(clock() / 1_000_000n).toBe(BigInt(start + 3_600_000));
    wall.mockReturnValue(start - 60_000);
    expect(clock() / 1_000_000n).toBe(BigInt(start - 60_000));
  });
});
