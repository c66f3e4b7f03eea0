import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startContainer } from './lifecycle';
import type { Lifecycle } from './lifecycle';
import { procStat, StateStore } from './state';
import { fakeCgroups } from './testing/fake-cgroups';

// `start` against stand-in inits (plain node processes holding a real fifo): no root, no namespaces.
let root: string;
let children: ChildProcess[];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'c-runtime-start-'));
  children = [];
});
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});


/** A created container whose "init" runs `script` (argv[1] is the fifo); resolves once the script says "ready". */
async function created(id: string, script: string): Promise<{ ctx: Lifecycle; child: ChildProcess; output: () => string }> {
  const store = new StateStore(root);
  store.create(id);
  const fifo = store.fifoPath(id);
  expect(spawnSync('mkfifo', ['-m', '600', fifo]).status).toBe(0);
  const child = spawn(process.execPath, ['-e', script, fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => output.includes('ready\n') && resolve());
    child.once('exit', () => reject(new Error(`stand-in init exited early: ${output}`)));
  });
  store.write({
    ociVersion: '1.0.2',
    id,
    pid: child.pid!,
    bundle: '/b',
    rootfs: '/b/rootfs',
    created: new Date().toISOString(),
    owner: '',
    initStartTime: procStat(child.pid!)!.startTime,
    cgroupsPath: `/c-runtime/${id}`,
    process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['true'] },
    namespaces: ['pid', 'mount'],
  });
  return { ctx: { store, cgroups: fakeCgroups() }, child, output: () => output };
}

const exited = (child: ChildProcess) => new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));

describe('startContainer', () => {
  it('releases an init blocked reading the fifo it holds read-write, and removes the fifo', async () => {
    const { ctx, child, output } = await created(
      'rdwr',
      "const fs = require('node:fs'); const fd = fs.openSync(process.argv[1], 'r+'); console.log('ready'); const b = Buffer.alloc(1); fs.readSync(fd, b, 0, 1, null); console.log('got ' + b.toString());",
    );
    await startContainer(ctx, 'rdwr');
    expect(existsSync(ctx.store.fifoPath('rdwr'))).toBe(false);
    expect(await exited(child)).toBe(0);
    expect(output()).toBe('ready\ngot 0\n');
  });

  it('still releases an init from before the read-write hold (blocked opening the fifo for writing)', async () => {
    // It prints "ready" first, then blocks in open(O_WRONLY) until start opens the fifo for reading.
    const { ctx, child, output } = await created(
      'legacy',
      "const fs = require('node:fs'); console.log('ready'); const fd = fs.openSync(process.argv[1], 'w'); fs.writeSync(fd, '0'); console.log('opened');",
    );
    await startContainer(ctx, 'legacy');
    expect(existsSync(ctx.store.fifoPath('legacy'))).toBe(false);
    expect(await exited(child)).toBe(0);
    expect(output()).toBe('ready\nopened\n');
  });

  it('gives up after its timeout on an init that is alive but neither holds nor opens the fifo', async () => {
    const { ctx } = await created('stuck', "console.log('ready'); setInterval(() => {}, 1000);");
    await expect(startContainer(ctx, 'stuck', 200)).rejects.toThrow(/did not start within 200 ms/);
    expect(existsSync(ctx.store.fifoPath('stuck'))).toBe(true);
  });
});
