/**
 * Wiring a hijacked attach / exec stream to this process: output (raw for a TTY, multiplexed frames otherwise) to
 * stdout/stderr, stdin to the socket (half-closed at EOF), a raw local terminal with docker's detach keys
 * (ctrl-p ctrl-q), and the window size kept in sync.
 */
import type { Duplex } from 'node:stream';
import { FrameDecoder, STDERR, SYSTEMERR } from '@c/api';

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
  /** The output is multiplexed frames (default: unless `tty`; c's run stream always is). */
  framed?: boolean;
  /** Takes the payload of each stream-3 frame (c's run stream: control messages); without it they go to stdout. */
  onControl?: (payload: Buffer) => void;
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
  // With events, not `for await` over a frame generator: that machinery costs a few ms on every CLI start-up.
  const output = new Promise<'ended'>((resolve, reject) => {
    const decoder = (options.framed ?? !options.tty) ? new FrameDecoder() : undefined;
    const onControl = options.onControl;
    const onOutput = (chunk: Buffer) => {
      try {
        if (!decoder) {
          process.stdout.write(chunk);
          return;
        }
        for (const frame of decoder.push(chunk)) {
          if (frame.stream === STDERR) process.stderr.write(frame.payload);
          else if (frame.stream === SYSTEMERR && onControl) onControl(frame.payload);
          else process.stdout.write(frame.payload);
        }
      } catch (error) {
        socket.destroy();
        reject(error as Error);
      }
    };
    socket.on('data', onOutput);
    socket.once('end', () => {
      try {
        decoder?.end();
        resolve('ended');
      } catch (error) {
        reject(error as Error);
      }
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // A socket reset after the container ended is not a failure of the run.
      if (detached || error.code === 'ECONNRESET') resolve('ended');
      else reject(error);
    });
    // Closed without an end (cut locally, or by the peer without a reset): the output is over all the same.
    socket.once('close', () => resolve('ended'));
    socket.resume();
  });
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
