import { openSync, writeSync } from 'node:fs';

export type LogFormat = 'text' | 'json';

/** runc-style logging: JSON lines in --log FILE; stderr in the chosen format. */
export class Logger {
  /** Opened once: `run` may later stand inside the container's mount namespace, where the path means something else. */
  private readonly fd: number | undefined;

  constructor(
    file: string | undefined,
    private readonly format: LogFormat,
    private readonly debugEnabled: boolean,
  ) {
    this.fd = file === undefined ? undefined : openSync(file, 'a', 0o600);
  }

  private write(level: 'error' | 'warning' | 'debug' | 'info', msg: string, toStderr: boolean): void {
    const time = new Date().toISOString();
    const json = JSON.stringify({ level, msg, time });
    if (this.fd !== undefined) {
      try {
        writeSync(this.fd, `${json}\n`);
      } catch {
        // An unwritable log must not hide the error itself.
      }
    }
    if (toStderr) process.stderr.write(this.format === 'json' ? `${json}\n` : `c-runtime: ${level === 'error' ? '' : `${level}: `}${msg}\n`);
  }

  error(msg: string): void {
    this.write('error', msg, true);
  }

  warn(msg: string): void {
    this.write('warning', msg, true);
  }

  debug(msg: string): void {
    if (this.debugEnabled) this.write('debug', msg, true);
  }
}
