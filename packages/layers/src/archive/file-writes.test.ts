import { closeSync, fstatSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileWriteQueue } from './file-writes';
import { removeDir, tempDir } from './testing';

const openFds = () => readdirSync('/proc/self/fd').length;

describe('FileWriteQueue', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir('file-writes');
  });
  afterEach(() => removeDir(root));

  it('writes every chunk at its position and finalizes each file after its last write', async () => {
    const queue = new FileWriteQueue({ concurrency: 2 });
    const order: string[] = [];
    for (const name of ['a', 'b']) {
      const fd = openSync(`${root}/${name}`, 'w');
      queue.open(fd);
      // Out of order on purpose: positions decide, not arrival.
      queue.write(fd, Buffer.from(`${name}2`), 2);
      queue.write(fd, Buffer.from(`${name}1`), 0);
      queue.end(fd, () => {
        // Every byte is there when finalize runs.
        order.push(`${name}:${fstatSync(fd).size}`);
        closeSync(fd);
      });
    }
    await queue.settle();
    expect(readFileSync(`${root}/a`, 'utf8')).toBe('a1a2');
    expect(readFileSync(`${root}/b`, 'utf8')).toBe('b1b2');
    expect(order.sort()).toEqual(['a:4', 'b:4']);
  });

  it('asks the producer to wait past maxQueuedBytes and lets it go on once written', async () => {
    const queue = new FileWriteQueue({ concurrency: 1, maxQueuedBytes: 1000 });
    const fd = openSync(`${root}/big`, 'w');
    queue.open(fd);
    expect(queue.backpressure()).toBeUndefined();
    queue.write(fd, Buffer.alloc(800, 1), 0);
    queue.write(fd, Buffer.alloc(800, 2), 800);
    const wait = queue.backpressure();
    expect(wait).toBeInstanceOf(Promise);
    await wait;
    expect(queue.backpressure()).toBeUndefined();
    queue.end(fd, () => closeSync(fd));
    await queue.settle();
    expect(readFileSync(`${root}/big`).length).toBe(1600);
  });

  it('asks the producer to wait while more than maxOpenFiles files hold an fd', async () => {
    const queue = new FileWriteQueue({ maxOpenFiles: 2 });
    const fds = ['x', 'y', 'z'].map((name) => openSync(`${root}/${name}`, 'w'));
    for (const fd of fds) {
      queue.open(fd);
      queue.write(fd, Buffer.from('data'), 0);
    }
    const wait = queue.backpressure();
    expect(wait).toBeInstanceOf(Promise);
    for (const fd of fds) queue.end(fd, () => closeSync(fd));
    await wait;
    await queue.settle();
    expect(queue.backpressure()).toBeUndefined();
  });

  it('reports a failed write from settle and backpressure, and closeAll closes what it still owns', async () => {
    const before = openFds();
    const queue = new FileWriteQueue();
    const readOnly = openSync(`${root}/ro`, 'w+');
    closeSync(readOnly);
    const fd = openSync(`${root}/ro`, 'r'); // not writable: the write fails with EBADF
    const pending = openSync(`${root}/pending`, 'w'); // never ended: closeAll must close it
    queue.open(fd);
    queue.open(pending);
    queue.write(fd, Buffer.from('x'), 0);
    queue.write(pending, Buffer.from('y'), 0);
    queue.end(fd, () => closeSync(fd));
    const error = await queue.settle().catch((e: unknown) => e);
    expect((error as NodeJS.ErrnoException).code).toBe('EBADF');
    await expect(queue.backpressure()).rejects.toBe(error);
    await queue.closeAll();
    expect(openFds()).toBe(before);
  });
});
