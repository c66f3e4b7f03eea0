import { createRequire } from 'node:module';
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
  // One libuv tty handle for both directions (epoll, no thread pool: after `exec` joins the container's pid
  // namespace this process can start no new thread, and fs streams would start the pool's).
  // node:tty is loaded only here: most runs have no terminal, and every module costs start-up time.
  const { ReadStream } = createRequire(import.meta.url)('node:tty') as typeof import('node:tty');
  const pty = new ReadStream(master);
  pty.on('data', (chunk: Buffer) => process.stdout.write(chunk));
  // The caller's EOF does not end the pty (shutdown(2) on a tty fails and would stop the copy).
  stdin.pipe(pty, { end: false });
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    stdin.unpipe(pty);
    stdin.pause();
    if (stdin.isTTY) stdin.setRawMode(wasRaw);
    process.stdout.off('resize', onResize);
    pty.destroy(); // closes the master
    resolveDone();
  };
  // EIO on the master = every slave fd is closed: the container is done.
  pty.on('error', finish);
  pty.on('end', finish);
  pty.on('close', finish);
  return { done, stop: finish };
}
