import { describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { FrameDecoder, STDERR, STDOUT, SYSTEMERR, demultiplex, encodeFrame } from './frames';

describe('stdio frames', () => {
  it('encodes the 8-byte header: stream, three zeros, size big-endian', () => {
    const frame = encodeFrame(STDERR, 'hello');
    expect([...frame.subarray(0, 8)]).toEqual([2, 0, 0, 0, 0, 0, 0, 5]);
    expect(frame.subarray(8).toString()).toBe('hello');
    const big = encodeFrame(STDOUT, Buffer.alloc(0x010203));
    expect([...big.subarray(0, 8)]).toEqual([1, 0, 0, 0, 0, 1, 2, 3]);
  });

  it('decodes frames split at every possible byte boundary', () => {
    const stream = Buffer.concat([encodeFrame(STDOUT, 'out\n'), encodeFrame(STDERR, 'err!'), encodeFrame(SYSTEMERR, '')]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder();
      const frames = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      decoder.end();
      expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([
        [1, 'out\n'],
        [2, 'err!'],
        [3, ''],
      ]);
    }
  });

  it('decodes a stream fed one byte at a time', async () => {
    const stream = Buffer.concat([encodeFrame(STDOUT, 'a'.repeat(300)), encodeFrame(STDERR, 'b')]);
    async function* bytes() {
      for (const byte of stream) yield Buffer.from([byte]);
    }
    const frames = [];
    for await (const frame of demultiplex(bytes())) frames.push(frame);
    expect(frames).toHaveLength(2);
    expect(frames[0]?.payload.toString()).toBe('a'.repeat(300));
  });

  it('decodes a large frame arriving in many small chunks in linear time', () => {
    const payload = Buffer.alloc(8 * 1024 * 1024, 7);
    const stream = Buffer.concat([encodeFrame(STDOUT, payload), encodeFrame(STDERR, 'tail')]);
    const decoder = new FrameDecoder();
    const frames = [];
    const started = performance.now();
    for (let i = 0; i < stream.length; i += 4096) frames.push(...decoder.push(stream.subarray(i, i + 4096)));
    decoder.end();
    // Joining on every push would copy ~8 GB here; the single join takes milliseconds.
    expect(performance.now() - started).toBeLessThan(2000);
    expect(frames.map((f) => [f.stream, f.payload.length])).toEqual([
      [1, payload.length],
      [2, 4],
    ]);
    expect(frames[0]?.payload.equals(payload)).toBe(true);
  });

  it('rejects a bad stream id, non-zero padding, oversized frames and truncation', () => {
    expect(() => new FrameDecoder().push(Buffer.from([7, 0, 0, 0, 0, 0, 0, 1, 65]))).toThrow(/malformed stdio frame header/);
    expect(() => new FrameDecoder().push(Buffer.from([1, 0, 1, 0, 0, 0, 0, 1, 65]))).toThrow(/malformed/);
    try {
      new FrameDecoder({ maxFrameSize: 10 }).push(encodeFrame(STDOUT, 'x'.repeat(11)).subarray(0, 8));
      expect.unreachable();
    } catch (error) {
      expect(isCError(error, 'LIMIT_EXCEEDED')).toBe(true);
    }
    const decoder = new FrameDecoder();
    decoder.push(encodeFrame(STDOUT, 'abc').subarray(0, 9));
    expect(decoder.buffered).toBe(9);
    expect(() => decoder.end()).toThrow(/ended inside a frame/);
  });
});
