/**
 * The daemon's progress messages (docker's jsonmessage stream) printed like docker's CLI: on a terminal one line
 * per layer, redrawn in place (`3f57d9401f8d: Downloading  [=====>   ]  1.2MB/4.3MB`); otherwise one plain line per
 * status change, so logs stay readable. Messages without an id are printed as they come.
 */
import type { ProgressMessage } from '@c/api';

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Minimum time between two redraws of a moving bar on a terminal. */
const REDRAW_MS = 100;

/** The text of one message's line. */
export function messageLine(message: ProgressMessage): string {
  const status = message.status ?? message.stream?.trimEnd() ?? '';
  const text = message.progress ? `${status}  ${message.progress}` : status;
  return message.id ? `${message.id}: ${text}` : text;
}

export class ProgressPrinter {
  private readonly order: string[] = [];
  private readonly lines = new Map<string, string>();
  private readonly lastStatus = new Map<string, string>();
  private readonly lastDraw = new Map<string, number>();

  constructor(
    private readonly out: Output,
    private readonly tty: boolean = Boolean(out.isTTY),
    private readonly clock: () => number = Date.now,
  ) {}

  update(message: ProgressMessage): void {
    const line = messageLine(message);
    const id = message.id;
    if (!id) {
      if (line) this.write(`${line}\n`);
      return;
    }
    const status = message.status ?? '';
    const statusChanged = this.lastStatus.get(id) !== status;
    this.lastStatus.set(id, status);
    if (!this.tty) {
      if (statusChanged) this.out.write(`${line}\n`);
      return;
    }
    if (!this.lines.has(id)) {
      this.order.push(id);
      this.lines.set(id, line);
      this.lastDraw.set(id, this.clock());
      this.out.write(`${line}\n`);
      return;
    }
    this.lines.set(id, line);
    const now = this.clock();
    if (!statusChanged && now - (this.lastDraw.get(id) ?? 0) < REDRAW_MS) return;
    this.lastDraw.set(id, now);
    this.redraw(id);
  }

  /** On a terminal, draws every line's last state (bars skipped by the redraw throttle). */
  finish(): void {
    if (this.tty) for (const id of this.order) this.redraw(id);
  }

  /** A line without an id ends the per-layer block on a terminal: later ids start a new block below it. */
  private write(text: string): void {
    if (this.tty) {
      this.finish();
      this.order.length = 0;
      this.lines.clear();
    }
    this.out.write(text);
  }

  private redraw(id: string): void {
    const up = this.order.length - this.order.indexOf(id);
    // Up to the layer's line, clear it, write, and back down below the last line.
    this.out.write(`\x1b[${up}A\r\x1b[2K${this.lines.get(id) ?? ''}\r\x1b[${up}B`);
  }
}
