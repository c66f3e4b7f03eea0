import { describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import {
  NdjsonDecoder,
  encodeJsonLine,
  humanSize,
  isProgressMessage,
  parseNdjson,
  progressError,
  progressErrorMessage,
  renderProgressBar,
} from './ndjson';

describe('NDJSON', () => {
  it('round-trips progress messages split anywhere, including inside a UTF-8 sequence', async () => {
    const messages = [
      { status: 'Pulling from library/busybox', id: 'latest' },
      { status: 'Downloading', id: 'a1b2c3d4e5f6', progressDetail: { current: 10, total: 20 }, progress: '[=>]' },
      { stream: 'Step 1/2 : FROM busybox — ü\n' },
      { aux: { ID: 'sha256:abc' } },
      progressError('manifest unknown'),
    ];
    const bytes = Buffer.from(messages.map(encodeJsonLine).join(''));
    for (const size of [1, 2, 3, 7, 64, bytes.length]) {
      async function* chunks() {
        for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
      }
      const decoded = [];
      for await (const value of parseNdjson(chunks())) decoded.push(value);
      expect(decoded).toEqual(messages);
    }
  });

  it('accepts CRLF, blank lines and a last line without newline', () => {
    const decoder = new NdjsonDecoder();
    expect(decoder.push('{"a":1}\r\n\n{"b"')).toEqual([{ a: 1 }]);
    expect(decoder.push(':2}')).toEqual([]);
    expect(decoder.end()).toEqual([{ b: 2 }]);
  });

  it('rejects invalid JSON and over-long lines', () => {
    expect(() => new NdjsonDecoder().push('{"a":\n')).toThrow(/line 1 is not valid JSON/);
    try {
      new NdjsonDecoder({ maxLineLength: 16 }).push('{"a":"' + 'x'.repeat(20));
      expect.unreachable();
    } catch (error) {
      expect(isCError(error, 'LIMIT_EXCEEDED')).toBe(true);
    }
    expect(() => new NdjsonDecoder().push(Buffer.from([0x7b, 0xff, 0x7d, 0x0a]))).toThrow(/not valid UTF-8/);
  });

  it('recognises progress messages and failures', () => {
    expect(isProgressMessage({ status: 'Pull complete', id: 'abc', progressDetail: {} })).toBe(true);
    expect(isProgressMessage({ status: 3 })).toBe(false);
    expect(isProgressMessage([1])).toBe(false);
    expect(isProgressMessage({ progressDetail: 'x' })).toBe(false);
    const failure = progressError('unauthorized: authentication required');
    expect(failure).toEqual({
      error: 'unauthorized: authentication required',
      errorDetail: { message: 'unauthorized: authentication required' },
    });
    expect(progressErrorMessage(failure)).toBe('unauthorized: authentication required');
    expect(progressErrorMessage({ status: 'Downloading' })).toBeUndefined();
  });

  it('renders sizes and bars like docker', () => {
    expect(humanSize(512)).toBe('512B');
    expect(humanSize(1048576)).toBe('1.049MB');
    expect(humanSize(2100000)).toBe('2.1MB');
    const half = renderProgressBar({ current: 1000, total: 2000 });
    expect(half).toBe(`[${'='.repeat(25)}>${' '.repeat(24)}]      1kB/2kB`);
    expect(renderProgressBar({ current: 2000, total: 2000 })).toContain(`[${'='.repeat(50)}]`);
    expect(renderProgressBar({ current: 5 })).toBe('5B');
  });
});
