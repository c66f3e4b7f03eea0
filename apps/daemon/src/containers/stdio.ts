/**
 * Plumbing between a container's output and the clients attached to it: docker's stream framing, and the
 * attachments that wait for `start` (`docker run` attaches before it starts the container).
 */
import { Writable, type Readable } from 'node:stream';
import { STDERR, STDOUT, encodeFrame } from '@c/api';

export type OutputStream = typeof STDOUT | typeof STDERR;

/** Writes output to a client: multiplexed frames, or the bytes as they are for a TTY (one stream). */
export function outputWriter(write: (bytes: Buffer) => void, tty: boolean): (which: OutputStream, chunk: Buffer) => void {
  return (which, chunk) => {
    if (chunk.length === 0) return;
    write(tty ? chunk : encodeFrame(which, chunk));
  };
}

/** A Writable that hands every chunk to `sink` (the engine copies output into the Writables it is given). */
export function sinkWritable(sink: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      sink(chunk);
      callback();
    },
  });
}

/** A client attached to a container that has not started yet. */
export interface Attachment {
  /** The client's stdin, when it asked for it (`stdin=1`). */
  stdin?: Readable;
  stdout?: (chunk: Buffer) => void;
  stderr?: (chunk: Buffer) => void;
  /** The container exited (or failed to start): end the client's stream. */
  end(): void;
}

/** Attachments waiting for their container's start, by container id. */
export class PendingAttachments {
  private readonly byContainer = new Map<string, Set<Attachment>>();

  /** Registers an attachment; the returned function withdraws it (the client went away). */
  add(containerId: string, attachment: Attachment): () => void {
    const set = this.byContainer.get(containerId) ?? new Set<Attachment>();
    set.add(attachment);
    this.byContainer.set(containerId, set);
    return () => {
      set.delete(attachment);
      if (set.size === 0 && this.byContainer.get(containerId) === set) this.byContainer.delete(containerId);
    };
  }

  /** Removes and returns the attachments of a container that is being started. */
  take(containerId: string): Attachment[] {
    const set = this.byContainer.get(containerId);
    this.byContainer.delete(containerId);
    return set ? [...set] : [];
  }

  count(containerId: string): number {
    return this.byContainer.get(containerId)?.size ?? 0;
  }
}

/** The stdio a start gets for its attachments: output fanned out to each, stdin from the first that offers one. */
export function stdioFor(attachments: readonly Attachment[]): { stdin?: Readable; stdout: Writable; stderr: Writable } {
  const stdin = attachments.find((a) => a.stdin !== undefined)?.stdin;
  return {
    ...(stdin ? { stdin } : {}),
    stdout: sinkWritable((chunk) => {
      for (const a of attachments) a.stdout?.(chunk);
    }),
    stderr: sinkWritable((chunk) => {
      for (const a of attachments) a.stderr?.(chunk);
    }),
  };
}
