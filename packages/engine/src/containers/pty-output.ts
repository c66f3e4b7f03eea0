/**
 * A tty container's pty master, split between threads like the FIFOs (output-pump.ts): the output worker reads
 * and logs duplicates of the master fd (one for its tty handle, one to drain the pty at the hang-up, which libuv
 * alone would stop short of), the engine keeps the original to write the container's stdin and to set
 * its size. Writes go through fs.write (the thread pool) and retry on EAGAIN: the worker's tty handle puts the
 * shared file description in non-blocking mode, and a pty's input queue holds only a few KiB.
 */
import { closeSync, openSync, write } from 'node:fs';
import { Writable } from 'node:stream';
import { O, linuxSyscalls } from '@c/namespaces';
import { outputPump, type LogTarget, type PumpedReadable } from './output-pump';

/** dup(2) of `fd` as a new close-on-exec fd (dup3 onto a fresh descriptor number, which it replaces). */
function duplicate(fd: number): number {
  const copy = openSync('/dev/null', 'r');
  try {
    linuxSyscalls.dup3(fd, copy, O.CLOEXEC);
  } catch (error) {
    closeSync(copy);
    throw error;
  }
  return copy;
}

/** Writes to the pty master; `destroy()` closes it (ending the stream does not: a tty has no half-close). */
export class PtyWriter extends Writable {
  private fdClosed = false;

  constructor(readonly fd: number) {
    super({ autoDestroy: false });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const attempt = (rest: Buffer): void => {
      if (this.fdClosed) return callback();
      write(this.fd, rest, 0, rest.length, null, (error, written) => {
        if (error && (error.code === 'EAGAIN' || error.code === 'EINTR')) return void setTimeout(() => attempt(rest), 5);
        // EIO: the container side is gone; its input no longer matters.
        if (error) return callback(error.code === 'EIO' ? null : error);
        if (written < rest.length) return attempt(rest.subarray(written));
        callback();
      });
    };
    attempt(chunk);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.fdClosed) {
      this.fdClosed = true;
      closeSync(this.fd);
    }
    callback(error);
  }
}

export interface PtyOutput {
  /** The output (as stdout), read and logged on the output worker; data only while tapped. */
  reader: PumpedReadable;
  /** stdin into the pty; owns the master fd (destroy closes it). */
  writer: PtyWriter;
}

/** Takes over a pty master fd the engine holds: output to the worker (logged to `log`), input from `writer`. */
export function openPtyOutput(master: number, log: LogTarget): PtyOutput {
  const copy = duplicate(master);
  let drain: number;
  try {
    // The worker reads what the pty still holds at the hang-up through this one (output-pump.ts, drainAfterHangUp).
    drain = duplicate(master);
  } catch (error) {
    closeSync(copy);
    throw error;
  }
  return { reader: outputPump.openPty(copy, drain, log), writer: new PtyWriter(master) };
}
