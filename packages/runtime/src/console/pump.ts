import { closeSync, createReadStream, createWriteStream } from 'node:fs';
import type { Syscalls } from '@c/namespaces';

export interface PtyPump {
  /** Resolves when the container side of the pty has closed and all output is written. */
  done: Promise<void>;
  stop(): void;
}

/**
 * Copy between the caller's stdio and a pty master (foreground `run`/`exec` with a terminal and no console socket).
 * The caller's terminal goes raw so keys like Ctrl-C reach the container's line discipline, and its size is copied.
 */
export function pumpPty(sys: Syscalls, master: number): PtyPump {
  const stdin = process.stdin;
  const wasRaw = stdin.isTTY ? stdin.isRaw : false;
  if (stdin.isTTY) {
    try {
      sys.setWinsize(master, sys.getWinsize(0));
    } catch {
      // not fatal: the container keeps the default size
    }
    stdin.setRawMode(true);
  }
  const onResize = () => {
    try {
      sys.setWinsize(master, sys.getWinsize(1));
    } catch {
      // ignore: the terminal went away
    }
  };
  process.stdout.on('resize', onResize);
  const input = createReadStream('', { fd: master, autoClose: false, highWaterMark: 16384 });
  const output = createWriteStream('', { fd: master, autoClose: false });
  stdin.pipe(output);
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    stdin.unpipe(output);
    stdin.pause();
    if (stdin.isTTY) stdin.setRawMode(wasRaw);
    process.stdout.off('resize', onResize);
    input.destroy();
    try {
      closeSync(master);
    } catch {
      // closed already
    }
    resolveDone();
  };
  input.on('data', (chunk) => process.stdout.write(chunk));
  // EIO on the master = every slave fd is closed: the container is done.
  input.on('error', finish);
  input.on('end', finish);
  return { done, stop: finish };
}
