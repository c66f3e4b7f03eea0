import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { detachedInput } from './api-handler';

describe('detachedInput (the client side of a hijacked stream)', () => {
  it('does not throw an unhandled error when the client goes away and nobody reads its input (attach without stdin)', async () => {
    const socket = new PassThrough();
    const input = detachedInput(socket);
    const unhandled: unknown[] = [];
    const onUncaught = (error: unknown) => unhandled.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      socket.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(input.destroyed).toBe(true);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('passes the error on to a handler that reads the input', async () => {
    const socket = new PassThrough();
    const input = detachedInput(socket);
    const reading = (async () => {
      for await (const chunk of input) void chunk;
    })();
    socket.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    await expect(reading).rejects.toThrow('ECONNRESET');
  });
});
