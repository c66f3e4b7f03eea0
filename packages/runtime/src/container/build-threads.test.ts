// BuildThreads' side of the protocol, against scripted stand-ins for the worker (the real one builds containers
// and needs root: tests/e2e/test/containers/direct-start.test.ts runs it).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CError, isCError } from '@c/errors';
import { linuxSyscalls, RecordingSyscalls } from '@c/namespaces';
import { BuildThreads, fromThreadError, toThreadError } from './build-threads';
import type { DirectRunRequest } from './run-direct';
import { spawnPid } from './spawned-process';
import { StateStore } from './state';
import { fakeCgroups } from './testing/fake-cgroups';

const dirs: string[] = [];
const pools: BuildThreads[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'c-build-threads-'));
  dirs.push(dir);
  return dir;
}

/** A worker script: `onOrder` is the body of a function (order, send) run for each order. */
function workerScript(onOrder: string, ready = true): string {
  const path = join(scratch(), 'worker.cjs');
  writeFileSync(
    path,
    `const { parentPort } = require('node:worker_threads');
const send = (m) => parentPort.postMessage(m);
${ready ? 'send({ ready: true });' : ''}
parentPort.on('message', (order) => { (function (order, send) { ${onOrder} })(order, send); });`,
  );
  return path;
}

function threads(script: string, size = 1, onError?: (error: unknown) => void): BuildThreads {
  const pool = new BuildThreads({ size, script, ...(onError ? { onError } : {}) });
  pools.push(pool);
  return pool;
}

function request(id: string, extra: Partial<DirectRunRequest> = {}): DirectRunRequest {
  const dir = scratch();
  return { id, bundle: join(dir, 'bundle'), store: new StateStore(join(dir, 'state')), sys: new RecordingSyscalls(), cgroups: fakeCgroups(), ...extra };
}

describe('BuildThreads', () => {
  it('sends the order as plain data and hands back the built container: start() writes "go" once and closes the socket', async () => {
    const out = join(scratch(), 'go');
    // The "shim's socket" is a file here: start() must write the executable, NUL-terminated, to it.
    const record = { id: 'c1', pid: 999_999, cgroupsPath: '/c/c1' };
    const pool = threads(
      workerScript(`send({ seq: order.seq, warning: 'careful' });
send({ seq: order.seq, built: { record: Object.assign(${JSON.stringify(record)}, { order }), pid: 999999, control: require('node:fs').openSync(${JSON.stringify(out)}, 'w'), executable: '/bin/sleep' } });`),
    );
    const warnings: string[] = [];
    const created = await pool.build(request('c1', { stdio: [3, 4, 'ignore'], keepPtyMaster: false, warn: (w) => warnings.push(w) }));
    expect(created).toBeDefined();
    const order = (created!.record as unknown as { order: Record<string, unknown> }).order;
    expect(order).toMatchObject({ id: 'c1', stdio: [3, 4, 'ignore'], keepPtyMaster: false });
    expect(String(order.stateRoot)).toMatch(/state$/);
    expect(warnings).toEqual(['careful']);
    expect(created!.cgroups.path).toBe('/c/c1');
    expect(created!.child.pid).toBe(999_999);
    created!.start();
    created!.start();
    expect(readFileSync(out, 'utf8')).toBe('/bin/sleep\0');
  });

  it("abandon() closes the socket unsent; a failed cgroup join is start()'s error, not the build's", async () => {
    const out = join(scratch(), 'go');
    const pool = threads(
      workerScript(`send({ seq: order.seq, built: { record: { id: order.id, pid: 999999, cgroupsPath: '/c/x' }, pid: 999999, control: require('node:fs').openSync(${JSON.stringify(out)}, 'w'), executable: '/bin/true',
  joinError: order.id === 'joinless' ? { code: 'INTERNAL', message: 'its init program ended while joining the cgroup', hint: 'see above' } : undefined } });`),
    );
    const abandoned = await pool.build(request('abandoned'));
    abandoned!.abandon();
    abandoned!.start();
    expect(readFileSync(out, 'utf8')).toBe('');
    const joinless = await pool.build(request('joinless'));
    expect(() => joinless!.start()).toThrow(/ended while joining the cgroup/);
  });

  it('a fallback answer is undefined (the two-process path); an error answer rejects with the same CError', async () => {
    const pool = threads(
      workerScript(`if (order.id === 'old-kernel') send({ seq: order.seq, fallback: true });
else send({ seq: order.seq, error: { code: 'NOT_FOUND', message: 'executable file not found: nope', hint: 'check the PATH', details: { path: 'nope' } } });`),
    );
    expect(await pool.build(request('old-kernel'))).toBeUndefined();
    const error = await pool.build(request('missing')).catch((e: unknown) => e);
    expect(isCError(error, 'NOT_FOUND')).toBe(true);
    expect(error).toMatchObject({ message: 'executable file not found: nope', hint: 'check the PATH', details: { path: 'nope' } });
  });

  it('spreads orders over the threads, least busy first', async () => {
    // Each thread answers only once it holds two orders: with two threads, four concurrent builds all complete.
    const pool = threads(
      workerScript(`globalThis.held = (globalThis.held || []).concat(order);
if (globalThis.held.length === 2) for (const o of globalThis.held.splice(0)) send({ seq: o.seq, fallback: true });`),
      2,
    );
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((id) => pool.build(request(id))));
    expect(results).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('a thread that dies fails its builds in flight, and the next build gets a new thread', async () => {
    const marker = join(scratch(), 'died-once');
    const pool = threads(
      workerScript(`const fs = require('node:fs');
if (!fs.existsSync(${JSON.stringify(marker)})) { fs.writeFileSync(${JSON.stringify(marker)}, ''); process.exit(3); }
send({ seq: order.seq, fallback: true });`),
    );
    await expect(pool.build(request('first'))).rejects.toThrow(/container first: the thread building it ended \(exited with code 3\)/);
    expect(pool.usable).toBe(true);
    expect(await pool.build(request('second'))).toBeUndefined();
  });

  it("a failed build's shim that outlived the thread's wait is reaped here once it ends (no zombie)", async () => {
    // Spawned outside Node's child_process, as a thread spawns a shim: only a waitpid of ours reaps it.
    const pid = spawnPid(linuxSyscalls, '/bin/sleep', ['sleep', '0.3'], ['ignore', 'ignore', 'ignore'], []);
    const pool = threads(
      workerScript(`send({ seq: order.seq, unreaped: ${pid} });
send({ seq: order.seq, error: { code: 'INTERNAL', message: 'the build failed' } });`),
    );
    const state = () => (existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] : 'gone');
    try {
      await expect(pool.build(request('stuck', { sys: linuxSyscalls }))).rejects.toThrow('the build failed');
      for (let i = 0; i < 500 && state() !== 'gone'; i += 1) await new Promise((r) => setTimeout(r, 10));
      expect(state()).toBe('gone');
    } finally {
      // Not left as a zombie of the test process should the adoption fail.
      const reaped = () => {
        try {
          return linuxSyscalls.waitpidNoHang(pid) !== undefined;
        } catch {
          return true; // ECHILD: reaped already
        }
      };
      while (state() !== 'gone' && !reaped()) await new Promise((r) => setTimeout(r, 10));
    }
  });

  it('close() lets the builds in flight answer (a thread cut short mid-build would leave its shim and fds), then stops', async () => {
    const out = join(scratch(), 'go');
    const pool = threads(
      workerScript(`setTimeout(() => send({ seq: order.seq, built: { record: { id: order.id, pid: 999999, cgroupsPath: '/c/late' }, pid: 999999,
  control: require('node:fs').openSync(${JSON.stringify(out)}, 'w'), executable: '/bin/late' } }), 300);`),
    );
    const building = pool.build(request('late'));
    const closing = pool.close();
    expect(pool.usable).toBe(false);
    const created = await building;
    created!.start();
    expect(readFileSync(out, 'utf8')).toBe('/bin/late\0');
    await closing;
    await expect(pool.build(request('after'))).rejects.toThrow(/not available/);
  });

  it("an fd the thread opened and handed over stays this thread's after the thread has ended", async () => {
    const out = join(scratch(), 'go');
    const pool = threads(
      workerScript(`send({ seq: order.seq, built: { record: { id: order.id, pid: 999999, cgroupsPath: '/c/kept' }, pid: 999999,
  control: require('node:fs').openSync(${JSON.stringify(out)}, 'w'), executable: '/bin/kept' } });`),
    );
    const created = await pool.build(request('kept'));
    // Node closes, at a worker's end, the fds it opened with fs.open unless told not to track them.
    await pool.close();
    created!.start();
    expect(readFileSync(out, 'utf8')).toBe('/bin/kept\0');
  });

  it('a thread that cannot start makes the pool unusable and is reported; its queued builds run on this thread', async () => {
    const reported: unknown[] = [];
    const pool = threads(join(scratch(), 'no-such-worker.cjs'), 2, (error) => reported.push(error));
    // runDirect's own answer for this request (its bundle has no config.json), not "the thread building it ended".
    const error = await pool.build(request('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CError);
    expect((error as CError).message).toMatch(/config\.json/);
    await new Promise((r) => setTimeout(r, 50));
    expect(pool.usable).toBe(false);
    expect(reported.length).toBeGreaterThanOrEqual(1);
    await expect(pool.build(request('y'))).rejects.toThrow(/not available/);
  });

  it('errors cross threads with code, message, hint and plain details; anything else becomes INTERNAL', () => {
    const round = fromThreadError(toThreadError(new CError('CONFLICT', 'busy', { hint: 'wait', details: { id: 'x', when: 3 } })));
    expect(round).toMatchObject({ code: 'CONFLICT', message: 'busy', hint: 'wait', details: { id: 'x', when: 3 } });
    expect(fromThreadError(toThreadError(new Error('plain')))).toMatchObject({ code: 'INTERNAL', message: 'plain' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(toThreadError(new CError('INTERNAL', 'odd', { details: cyclic }))).not.toHaveProperty('details');
  });
});
