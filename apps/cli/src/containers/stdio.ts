/**
 * Wiring a hijacked attach / exec stream to this process: output (raw for a TTY, multiplexed frames otherwise) to
 * stdout/stderr, stdin to the socket (half-closed at EOF), a raw local terminal with docker's detach keys
 * (ctrl-p ctrl-q), and the window size kept in sync.
 */
import type { Duplex } from 'node:stream';
import { stdioFrames } from '@c/api';

/** ctrl-p ctrl-q, docker's default detach sequence. */
export const DETACH_KEYS = Buffer.from([0x10, 0x11]);

/** Finds the detach sequence across chunks: `push` returns the bytes to forward and whether to detach. */
export class DetachKeyScanner {
  private matched = 0;
  constructor(private readonly keys: Buffer = DETACH_KEYS) {}

  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        this.matched += 1;
        if (this.matched === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      // A partial match that breaks off is sent on, as typed.
      for (let i = 0; i < this.matched; i++) out.push(this.keys[i]!);
      this.matched = 0;
      if (byte === this.keys[0]) this.matched = 1;
      else out.push(byte);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

export interface StreamOptions {
  tty: boolean;
  /** Send this process's stdin to the container. */
  stdin: boolean;
}

export type StreamEnd = 'ended' | 'detached';

/** Pumps until the container's output ends (or the user detaches). Restores the terminal in every case. */
export async function pumpStreams(socket: Duplex, options: StreamOptions): Promise<StreamEnd> {
  // process.stdin is a getter that opens the stream (~1 ms): only touch it when stdin is forwarded.
  const input = options.stdin ? process.stdin : undefined;
  const raw = options.tty && input?.isTTY === true;
  let detached = false;
  let resolveDetach: (() => void) | undefined;
  const detachedPromise = new Promise<'detached'>((resolve) => (resolveDetach = () => resolve('detached')));
  const onData = (chunk: Buffer) => {
    if (raw) {
      const { forward, detach } = scanner.push(chunk);
      if (forward.length) socket.write(forward);
      if (detach) {
        detached = true;
        resolveDetach?.();
      }
      return;
    }
    socket.write(chunk);
  };
  const onEnd = () => {
    // Half-close: the container sees EOF on its stdin, its output keeps coming.
    if (!socket.writableEnded) socket.end();
  };
  const scanner = new DetachKeyScanner();
  if (input) {
    if (raw) input.setRawMode(true);
    input.on('data', onData);
    input.once('end', onEnd);
    input.resume();
  }
  const output = (async (): Promise<'ended'> => {
    try {
      for await (const frame of stdioFrames(socket as AsyncIterable<Buffer>, options.tty)) {
        if (frame.stream === 2) process.stderr.write(frame.payload);
        else process.stdout.write(frame.payload);
      }
    } catch (error) {
      // A socket reset after the container ended is not a failure of the run.
      if (!detached && (error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
    }
    return 'ended';
  })();
  try {
    return await Promise.race([output, detachedPromise]);
  } finally {
    if (input) {
      input.off('data', onData);
      input.off('end', onEnd);
      if (raw) input.setRawMode(false);
      input.pause();
    }
    if (detached) socket.destroy();
  }
}

/** Calls `resize` now and on every SIGWINCH while the returned stop function has not been called. */
export function followWindowSize(resize: (size: { h: number; w: number }) => Promise<void>): () => void {
  const out = process.stdout;
  if (!out.isTTY) return () => undefined;
  const send = () => {
    resize({ h: out.rows, w: out.columns }).catch(() => undefined);
  };
  send();
  process.on('SIGWINCH', send);
  return () => process.off('SIGWINCH', send);
}
