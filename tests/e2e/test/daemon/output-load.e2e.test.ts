/**
 * A container writing 200 MB to stdout must not stall c-daemon: its output FIFOs are read and logged off the
 * event loop, so `GET /_ping` keeps answering within a few ms while the output streams, and the json-file log
 * still gets every byte.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type Session } from './support/session';

const TOTAL = 200 * 1024 * 1024;
const LINE = 1024;

function ping(socketPath: string, agent: Agent): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/_ping', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - started));
    });
    req.on('error', reject);
    req.end();
  });
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;

/**
 * A bare HTTP server in a process of its own on `socketPath`: pinged in turn with the daemon while the output
 * streams, it shows what the machine itself gives a listening process in that same window.
 */
async function startControl(socketPath: string): Promise<ChildProcess> {
  const script = "require('node:http').createServer((q, s) => s.end('OK')).listen(process.argv[1], () => console.log('ready'))";
  const child = spawn(process.execPath, ['-e', script, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the control server was not ready within 30 s')), 30_000);
      child.once('exit', (code) => reject(new Error(`the control server exited (${code})`)));
      child.stdout!.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return child;
}

describe.skipIf(process.getuid?.() !== 0)('c-daemon under a container writing 200 MB', () => {
  let session: Session;
  let client: Docker;

  beforeAll(async () => {
    session = await openSession('c-e2e-output-load-');
    client = new Docker({ socketPath: session.socket });
  }, 300_000);

  afterAll(async () => {
    await session?.close();
  });

  it.each([false, true])('answers _ping within a few ms (p99) while the output streams, and the log is complete (tty %s)', { timeout: 600_000 }, async (tty) => {
    // 1 KiB lines (1023 characters and a newline), 200 MiB in all.
    const script = `l=$(printf '%${LINE - 1}s' x); yes "$l" | head -c ${TOTAL}`;
    // The control first: should it fail, no container is left behind.
    const controlSocket = join(session.dir, `control-${tty}.sock`);
    const control = await startControl(controlSocket);
    const container = await client.createContainer({ Image: session.image, Cmd: ['sh', '-c', script], Tty: tty, HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '1g' } } } }).catch((error: unknown) => {
      control.kill('SIGKILL');
      throw error;
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const controlAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    /** Pings the daemon, then the control, every 5 ms until `until()`; their latencies, sorted. */
    const measure = async (until: () => boolean): Promise<{ daemon: number[]; control: number[] }> => {
      const daemon: number[] = [];
      const controlled: number[] = [];
      while (!until()) {
        daemon.push(await ping(session.socket, agent));
        controlled.push(await ping(controlSocket, controlAgent));
        await new Promise((r) => setTimeout(r, 5));
      }
      return { daemon: daemon.sort((a, b) => a - b), control: controlled.sort((a, b) => a - b) };
    };
    try {
      await ping(session.socket, agent);
      await ping(controlSocket, controlAgent);
      // The floor on this shared machine: the same pings while nothing streams.
      const idleUntil = performance.now() + 3000;
      const idle = (await measure(() => performance.now() > idleUntil)).daemon;
      const exited = container.wait({ condition: 'next-exit' });
      let done = false;
      void exited.finally(() => (done = true));
      await container.start();
      const startedAt = performance.now();
      const streaming = await measure(() => done);
      const sorted = streaming.daemon;
      const seconds = (performance.now() - startedAt) / 1000;
      expect(await exited).toMatchObject({ StatusCode: 0 });
      const p99 = percentile(sorted, 99);
      const idleP99 = percentile(idle, 99);
      const controlP99 = percentile(streaming.control, 99);
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
      console.log(
        `${tty ? 'tty: ' : ''}200 MiB in ${seconds.toFixed(1)} s; ${sorted.length} pings: p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${sorted.at(-1)!.toFixed(2)} ms; ` +
          `control meanwhile: p99 ${controlP99.toFixed(2)} ms; idle: p50 ${percentile(idle, 50).toFixed(2)} ms, p99 ${idleP99.toFixed(2)} ms (load ${load})`,
      );
      expect(sorted.length).toBeGreaterThan(20);
      // Near what the machine gives a listening process. Alone this is +2-5 ms over the idle daemon; in CI turbo runs
      // other packages' unit tests on the same 2 cores, and the idle window alone, measured before the stream, put one
      // run at +13 ms: load that comes and goes between the two windows. So the floor is also taken in the same
      // window, from a bare server in its own process pinged in turn with the daemon (the larger of the two floors
      // counts). Output handled on the main thread (the design this guards against) measured p99 43 ms.
      expect(p99).toBeLessThan(Math.max(idleP99, controlP99) + 20);

      const inspect = await container.inspect();
      let bytes = 0;
      let lines = 0;
      for (const line of readFileSync(inspect.LogPath, 'utf8').split('\n')) {
        if (line === '') continue;
        const entry = JSON.parse(line) as { log: string; stream: string };
        bytes += Buffer.byteLength(entry.log);
        lines += 1;
      }
      // A tty's line discipline turns each \n into \r\n.
      expect(bytes).toBe(tty ? TOTAL + TOTAL / LINE : TOTAL);
      expect(lines).toBe(TOTAL / LINE);
      expect(inspect.LogPath.startsWith(join(session.root, 'containers'))).toBe(true);
    } finally {
      agent.destroy();
      controlAgent.destroy();
      control.kill('SIGKILL');
      await container.remove({ force: true });
    }
  });
});
