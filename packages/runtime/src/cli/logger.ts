import { appendFileSync } from 'node:fs';

export type LogFormat = 'text' | 'json';

/** runc-style logging: JSON lines in --log FILE; stderr in the chosen format. */
export class Logger {
  constructor(
    private readonly file: string | undefined,
    private readonly format: LogFormat,
    private readonly debugEnabled: boolean,
  ) {}

  private write(level: 'error' | 'warning' | 'debug' | 'info', msg: string, toStderr: boolean): void {
    const time = new Date().toISOString();
    const json = JSON.stringify({ level, msg, time });
    if (this.file !== undefined) {
      try {
        appendFileSync(this.file, `${json}\n`);
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
