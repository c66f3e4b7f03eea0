import { readSync, writeSync } from 'node:fs';

// Made on first use: a V8 startup snapshot is built without SharedArrayBuffer.
let pause: Int32Array | undefined;

/** Block until `ms` pass, without an event loop (the init runs synchronously end to end). */
export function sleepSync(ms: number): void {
  pause ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(pause, 0, 0, ms);
}

/** Read one newline-terminated line from a blocking or non-blocking fd; null on EOF before a newline. */
export function readLineSync(fd: number, maxBytes = 4 * 1024 * 1024): string | null {
  const chunks: Buffer[] = [];
  let total = 0;
  const buf = Buffer.alloc(65536);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
        sleepSync(1);
        continue;
      }
      throw error;
    }
    if (n === 0) return null;
    const newline = buf.subarray(0, n).indexOf(10);
    if (newline >= 0) {
      chunks.push(Buffer.from(buf.subarray(0, newline)));
      return Buffer.concat(chunks).toString('utf8');
    }
    chunks.push(Buffer.from(buf.subarray(0, n)));
    total += n;
    if (total > maxBytes) throw new Error(`line on fd ${fd} exceeds ${maxBytes} bytes`);
  }
}

export function writeLineSync(fd: number, value: unknown): void {
  const data = Buffer.from(`${JSON.stringify(value)}\n`);
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      sleepSync(1);
    }
  }
}
