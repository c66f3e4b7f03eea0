import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CError } from '@c/errors';
import { RecordingSyscalls, S_IF } from '@c/namespaces';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultSpec } from '../spec/default-spec';
import { createContainer } from './create';
import { InitProcess } from './init-process';
import { StateStore } from './state';
import { fakeCgroups } from './testing/fake-cgroups';

// The init is spawned for real (RecordingSyscalls turns unshare/setns into no-ops, so no root is needed); the
// scripts below stand in for an init that dies at the worst moments.
let dir: string;
let savedInit: string | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-runtime-create-'));
  savedInit = process.env.C_RUNTIME_INIT;
});
afterEach(() => {
  if (savedInit === undefined) delete process.env.C_RUNTIME_INIT;
  else process.env.C_RUNTIME_INIT = savedInit;
  rmSync(dir, { recursive: true, force: true });
});

function bundle(): string {
  const path = join(dir, 'bundle');
  mkdirSync(join(path, 'rootfs'), { recursive: true });
  writeFileSync(join(path, 'config.json'), JSON.stringify(defaultSpec({ args: ['true'], terminal: false })));
  return path;
}

function initScript(body: string): string {
  const path = join(dir, `init-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(path, body);
  return path;
}

async function createFailure(id: string, log: string[]): Promise<CError> {
  const store = new StateStore(join(dir, 'state'));
  const failure = await createContainer({ id, bundle: bundle(), store, sys: new RecordingSyscalls(), cgroups: fakeCgroups(log), stdio: ['ignore', 'ignore', 'ignore'] }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(CError);
  // Everything made for the container is gone again.
  expect(readdirSync(store.root)).toEqual([]);
  return failure as CError;
}

describe('createContainer when the init dies', () => {
  it('rejects with an error naming the container when the init ($C_RUNTIME_INIT) exits at once', async () => {
    process.env.C_RUNTIME_INIT = initScript('process.exit(3);\n');
    const log: string[] = [];
    const error = await createFailure('dies-at-once', log);
    expect(error.message).toMatch(/^container dies-at-once: the init exited before reporting/);
    expect(error.hint).toMatch(/--debug/);
    // The cgroup was prepared while the init started, never joined, and removed again.
    expect(log).toEqual(['prepare', 'destroy']);
  });

  it('makes exec.fifo 0600 whatever the umask: only root opens it (the init holds it open from before its uid switch)', async () => {
    process.env.C_RUNTIME_INIT = initScript('process.exit(3);\n');
    const sys = new RecordingSyscalls();
    const store = new StateStore(join(dir, 'state'));
    await createContainer({ id: 'fifo-mode', bundle: bundle(), store, sys, cgroups: fakeCgroups([]), stdio: ['ignore', 'ignore', 'ignore'] }).catch(() => undefined);
    const fifo = store.fifoPath('fifo-mode');
    expect(sys.callsOf('mknod')).toEqual([[fifo, S_IF.FIFO | 0o600, 0n]]);
    expect(sys.callsOf('chmod')).toEqual([[fifo, 0o600]]);
  });

  it('turns a broken sync socket (init gone before reading its config) into a CError, not an uncaught exception', async () => {
    // Reports "booted", then dies with unread data pending: the config write meets EPIPE or ECONNRESET.
    process.env.C_RUNTIME_INIT = initScript(
      "import { writeSync } from 'node:fs';\nwriteSync(3, JSON.stringify({ type: 'booted' }) + '\\n');\nprocess.exit(0);\n",
    );
    const log: string[] = [];
    const error = await createFailure('dies-after-boot', log);
    expect(error.message).toMatch(/^container dies-after-boot: the (init exited before reporting|sync socket to the init failed \((EPIPE|ECONNRESET)\))/);
    expect(log[0]).toBe('prepare');
    expect(log[1]).toMatch(/^create \d+$/);
    expect(log.at(-1)).toBe('destroy');
  });

  it('survives a socket error raised while nobody waits for a report', async () => {
    // The init reports booted and is killed by the caller's write racing its exit, many times over: any unhandled
    // 'error' event would fail the test run.
    process.env.C_RUNTIME_INIT = initScript(
      "import { writeSync } from 'node:fs';\nwriteSync(3, JSON.stringify({ type: 'booted' }) + '\\n');\nsetTimeout(() => process.exit(0), Math.random() * 5);\n",
    );
    for (let i = 0; i < 5; i++) {
      const error = await createFailure(`race-${i}`, []);
      expect(error.message).toContain(`container race-${i}:`);
    }
  });
});

// Reports booted, reads its plan, and answers with an error report describing what it got: the plan's stdioFds,
// whether fd 4 is a socket (the stdio channel), and its pid.
const ECHO_PLAN_INIT = [
  "import { fstatSync, readSync, writeSync } from 'node:fs';",
  "writeSync(3, JSON.stringify({ type: 'booted' }) + '\\n');",
  "let line = ''; const buf = Buffer.alloc(65536);",
  "while (!line.includes('\\n')) { const n = readSync(3, buf, 0, buf.length, null); if (n === 0) process.exit(1); line += buf.toString('utf8', 0, n); }",
  'const plan = JSON.parse(line);',
  'let fd4 = false; try { fd4 = fstatSync(4).isSocket(); } catch {}',
  "writeSync(3, JSON.stringify({ type: 'error', code: 'INTERNAL', message: JSON.stringify({ stdioFds: plan.stdioFds ?? null, fd4, pid: process.pid }) }) + '\\n');",
  '',
].join('\n');

describe('createContainer with a pre-started (pooled) init', () => {
  it('uses the booted init it is given: no second spawn, stdio announced in the plan, fd 4 a socket', async () => {
    const script = initScript(ECHO_PLAN_INIT);
    const sys = new RecordingSyscalls();
    const warm = InitProcess.spawnPooled(sys, { initScript: script });
    await warm.booted;
    const log: string[] = [];
    const store = new StateStore(join(dir, 'state'));
    const error = await createContainer({ id: 'warm', bundle: bundle(), store, sys, cgroups: fakeCgroups(log), stdio: ['ignore', 1, 'inherit'], init: warm, initScript: script }).then(
      () => undefined,
      (e: unknown) => e as CError,
    );
    const got = JSON.parse(error?.message ?? '{}') as { stdioFds: number[] | null; fd4: boolean; pid: number };
    expect(got).toEqual({ stdioFds: [1, 2], fd4: true, pid: warm.pid });
    // One unshare for the pooled init only: createContainer spawned nothing itself.
    expect(sys.callsOf('unshare')).toHaveLength(1);
    expect(log).toEqual(['prepare', `create ${warm.pid}`, 'destroy']);
    expect(readdirSync(store.root)).toEqual([]);
  });

  it('a cold init gets no stdioFds in its plan', async () => {
    process.env.C_RUNTIME_INIT = initScript(ECHO_PLAN_INIT);
    const store = new StateStore(join(dir, 'state'));
    const error = await createContainer({ id: 'cold', bundle: bundle(), store, sys: new RecordingSyscalls(), cgroups: fakeCgroups([]), stdio: ['ignore', 'ignore', 'ignore'] }).then(
      () => undefined,
      (e: unknown) => e as CError,
    );
    expect(JSON.parse(error?.message ?? '{}')).toMatchObject({ stdioFds: null, fd4: false });
  });

  it('kills a pooled init that does not fit (stdio it cannot carry) and spawns a fresh one', async () => {
    const script = initScript(ECHO_PLAN_INIT);
    process.env.C_RUNTIME_INIT = script;
    const sys = new RecordingSyscalls();
    const warm = InitProcess.spawnPooled(sys, { initScript: script });
    await warm.booted;
    const exited = new Promise((r) => warm.child.once('exit', (_code, signal) => r(signal)));
    const store = new StateStore(join(dir, 'state'));
    const error = await createContainer({ id: 'unfit', bundle: bundle(), store, sys, cgroups: fakeCgroups([]), stdio: ['pipe', 'ignore', 'ignore'], init: warm }).then(
      () => undefined,
      (e: unknown) => e as CError,
    );
    expect(await exited).toBe('SIGKILL');
    const got = JSON.parse(error?.message ?? '{}') as { pid: number; stdioFds: null };
    expect(got.pid).not.toBe(warm.pid);
    expect(got.stdioFds).toBeNull();
  });

  it('falls back to a cold init when the pooled one died while idle', async () => {
    const script = initScript(ECHO_PLAN_INIT);
    process.env.C_RUNTIME_INIT = script;
    const sys = new RecordingSyscalls();
    const dead = InitProcess.spawnPooled(sys, { initScript: initScript("import { writeSync } from 'node:fs';\nwriteSync(3, JSON.stringify({ type: 'booted' }) + '\\n');\n") });
    await dead.booted;
    await new Promise((r) => (dead.child.exitCode !== null ? r(undefined) : dead.child.once('exit', r)));
    const store = new StateStore(join(dir, 'state'));
    const error = await createContainer({ id: 'fallback', bundle: bundle(), store, sys, cgroups: fakeCgroups([]), stdio: ['ignore', 'ignore', 'ignore'], init: dead }).then(
      () => undefined,
      (e: unknown) => e as CError,
    );
    const got = JSON.parse(error?.message ?? '{}') as { pid: number; stdioFds: null };
    expect(got.pid).not.toBe(dead.pid);
    expect(got.stdioFds).toBeNull();
  });

  it('an idle pooled init exits on its own when its parent end of the sync socket closes', async () => {
    const warm = InitProcess.spawnPooled(new RecordingSyscalls(), { initScript: initScript(ECHO_PLAN_INIT) });
    await warm.booted;
    const exited = new Promise((r) => warm.child.once('exit', (code) => r(code)));
    warm.close();
    expect(await exited).toBe(1);
  });
});
