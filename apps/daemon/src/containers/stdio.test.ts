import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { FrameDecoder, STDERR, STDOUT } from '@c/api';
import { PendingAttachments, outputWriter, stdioFor, type Attachment } from './stdio';

describe('container stdio plumbing', () => {
  it('frames output for non-TTY clients and passes bytes through for TTY ones', () => {
    const framed: Buffer[] = [];
    outputWriter((b) => framed.push(b), false)(STDERR, Buffer.from('err'));
    outputWriter((b) => framed.push(b), false)(STDOUT, Buffer.alloc(0));
    const frames = new FrameDecoder().push(Buffer.concat(framed));
    expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([[STDERR, 'err']]);
    const rawOut: Buffer[] = [];
    outputWriter((b) => rawOut.push(b), true)(STDERR, Buffer.from('tty'));
    expect(Buffer.concat(rawOut).toString()).toBe('tty');
  });

  it('fans output out to every attachment and takes stdin from the first that has one', async () => {
    const seen: string[] = [];
    const stdin = new PassThrough();
    const make = (name: string, withStdin: boolean): Attachment => ({
      ...(withStdin ? { stdin } : {}),
      stdout: (c) => seen.push(`${name}:out:${c.toString()}`),
      stderr: (c) => seen.push(`${name}:err:${c.toString()}`),
      end: () => seen.push(`${name}:end`),
    });
    const pending = new PendingAttachments();
    pending.add('c1', make('a', false));
    const withdraw = pending.add('c1', make('gone', false));
    pending.add('c1', make('b', true));
    withdraw();
    expect(pending.count('c1')).toBe(2);
    const attachments = pending.take('c1');
    expect(pending.count('c1')).toBe(0);
    const stdio = stdioFor(attachments);
    expect(stdio.stdin).toBe(stdin);
    await new Promise<void>((resolve) => stdio.stdout.write('x', () => resolve()));
    await new Promise<void>((resolve) => stdio.stderr.write('y', () => resolve()));
    expect(seen).toEqual(['a:out:x', 'b:out:x', 'a:err:y', 'b:err:y']);
  });
});
