/**
 * Per-blob progress like docker's: on a terminal one line per blob, redrawn in place
 * (`3f57d9401f8d: Downloading  [=====>      ]  1.2MB/4.3MB`); otherwise one plain line per status change, so
 * logs stay readable.
 */
import type { TransferEvent } from '@c/engine/images';
import { humanSize } from './format';

/** Docker's wording for each transfer status the engine reports. */
const STATUS_TEXT: Record<string, string> = {
  waiting: 'Waiting',
  downloading: 'Downloading',
  verifying: 'Verifying Checksum',
  done: 'Download complete',
  complete: 'Pull complete',
  exists: 'Already exists',
  preparing: 'Preparing',
  pushing: 'Pushing',
  pushed: 'Pushed',
  mounted: 'Mounted from another repository',
};

export function statusText(status: string, mode: 'pull' | 'push'): string {
  if (mode === 'push' && status === 'exists') return 'Layer already exists';
  return STATUS_TEXT[status] ?? status.charAt(0).toUpperCase() + status.slice(1);
}

const BAR_WIDTH = 50;

/** `[=====>      ]  1.2MB/4.3MB`, docker's jsonmessage progress bar. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current, 2);
  const fraction = Math.min(1, Math.max(0, current / total));
  const filled = Math.floor(fraction * BAR_WIDTH);
  const bar = filled >= BAR_WIDTH ? '='.repeat(BAR_WIDTH) : `${'='.repeat(filled)}>${' '.repeat(BAR_WIDTH - filled - 1)}`;
  return `[${bar}]  ${humanSize(current, 2)}/${humanSize(total, 2)}`;
}

/** The text of one blob's line. */
export function progressLine(event: TransferEvent, mode: 'pull' | 'push'): string {
  const text = statusText(event.status, mode);
  const moving = event.status === 'downloading' || event.status === 'pushing';
  return moving ? `${event.id}: ${text}  ${progressBar(event.current, event.total)}` : `${event.id}: ${text}`;
}

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Minimum time between two redraws of a moving bar on a terminal. */
const REDRAW_MS = 100;

export class ProgressPrinter {
  private readonly order: string[] = [];
  private readonly lines = new Map<string, string>();
  private readonly lastStatus = new Map<string, string>();
  private readonly lastDraw = new Map<string, number>();

  constructor(
    private readonly out: Output,
    private readonly mode: 'pull' | 'push',
    private readonly tty: boolean = Boolean(out.isTTY),
    private readonly clock: () => number = Date.now,
  ) {}

  update(event: TransferEvent): void {
    const line = progressLine(event, this.mode);
    const statusChanged = this.lastStatus.get(event.id) !== event.status;
    this.lastStatus.set(event.id, event.status);
    if (!this.tty) {
      // Plain output: one line per status change, never per chunk.
      if (statusChanged) this.out.write(`${line}\n`);
      return;
    }
    if (!this.lines.has(event.id)) {
      this.order.push(event.id);
      this.lines.set(event.id, line);
      this.lastDraw.set(event.id, this.clock());
      this.out.write(`${line}\n`);
      return;
    }
    this.lines.set(event.id, line);
    const now = this.clock();
    if (!statusChanged && now - (this.lastDraw.get(event.id) ?? 0) < REDRAW_MS) return;
    this.lastDraw.set(event.id, now);
    this.redraw(event.id);
  }

  /** On a terminal, draws every line's last state (bars skipped by the redraw throttle). */
  finish(): void {
    if (this.tty) for (const id of this.order) this.redraw(id);
  }

  private redraw(id: string): void {
    const up = this.order.length - this.order.indexOf(id);
    // Up to the blob's line, clear it, write, and back down below the last line.
    this.out.write(`\x1b[${up}A\r\x1b[2K${this.lines.get(id) ?? ''}\r\x1b[${up}B`);
  }
}
