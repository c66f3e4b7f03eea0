// Privileged: a container's stdin (OpenStdin, no tty) through the ContainerService, the way `c run -i` uses it.
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, isRoot } from '../runtime/helpers';
import { logText, removeAll, setup, until, type Env } from './support';

let env: Env;
beforeAll(async () => {
  if (!isRoot()) return;
  ensureBuilt();
  env = await setup('stdin');
}, 180_000);
afterEach(async () => {
  if (env) await removeAll(env.service);
});
afterAll(async () => {
  await env?.cleanup();
});

describe.skipIf(!isRoot())('containers: piped stdin', () => {
  it('cat waiting on an empty stdin does not stall the engine; input is echoed and EOF ends it with 0', async () => {
    const c = await env.service.create({ image: 'busybox:e2e', cmd: ['cat'], openStdin: true });
    const input = new PassThrough();
    let seen = '';
    const output = new PassThrough().on('data', (d: Buffer) => (seen += d.toString()));
    await env.service.start(c.Id, { stdin: input, stdout: output });
    // cat is now blocked reading its empty stdin. With a socket there (sendfile into the stdout FIFO) the kernel
    // held the FIFO's lock meanwhile and the engine's next read of it froze the event loop: timers stopped.
    let ticks = 0;
    let lastTick = performance.now();
    let longestGap = 0;
    const timer = setInterval(() => {
      ticks++;
      longestGap = Math.max(longestGap, performance.now() - lastTick);
      lastTick = performance.now();
    }, 20);
    try {
      // Ten ticks, however long a loaded machine takes to give them (counting ticks in a fixed 500 ms could fall
      // short), none of them late by seconds: the loop frozen by that read gave no tick at all until stdin got data.
      await until('ten 20 ms ticks of the event loop', () => ticks >= 10);
      expect(longestGap).toBeLessThan(5000);
      input.write('line one\n');
      await until('the echo of line one', () => seen.includes('line one\n'));
      expect(seen).toBe('line one\n');
      expect(env.service.inspect(c.Id).State.Running).toBe(true);
      input.end('line two\n');
      expect(await env.service.wait(c.Id)).toEqual({ StatusCode: 0 });
    } finally {
      clearInterval(timer);
    }
    expect(seen).toBe('line one\nline two\n');
    expect(await logText(env.service, c.Id)).toBe('line one\nline two\n');
  });
});
