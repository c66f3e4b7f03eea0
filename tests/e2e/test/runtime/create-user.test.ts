// Privileged: `create` + `start` (the two-process init, as podman and containerd drive it) for a non-root process
// whose capabilities lack CAP_DAC_OVERRIDE, compared with runc on the same bundle. Issue 4: the init used to fail
// reopening its exec.fifo after the uid switch (EACCES), after `create` had already reported success.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Spec } from '@c/runtime';
import { CLI, UID_1000_STATUS, cli, ensureBuilt, isRoot, makeBundle, uniqueId, workspace } from './helpers';

const ws = workspace('create-user');
beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => ws.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hasRunc = spawnSync('sh', ['-c', 'command -v runc']).status === 0;

// What the process is once it runs: its identity, privileges and whether it is dumpable (/proc/self's owner).
const PROBE = [
  'id',
  'grep -E "^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):" /proc/self/status',
  'echo "proc-owner=$(stat -c %u /proc/self/)"',
  'echo done',
].join('; ');

function userBundle(noNewPrivileges: boolean): string {
  return makeBundle(ws.dir, ['sh', '-c', PROBE], (s: Spec) => {
    s.process!.user = { uid: 1000, gid: 1000, additionalGids: [100, 1000] };
    s.process!.noNewPrivileges = noNewPrivileges;
    // No CAP_DAC_OVERRIDE: the process cannot open root's 0600 files, the init's exec.fifo included.
    const caps = ['CAP_NET_BIND_SERVICE', 'CAP_KILL'];
    s.process!.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: caps, ambient: ['CAP_NET_BIND_SERVICE'] };
  }).dir;
}

/** `<runtime> create` with stdio on files (the process keeps them), then `start`; returns what the process printed. */
async function createThenStart(runtime: 'c' | 'runc', bundle: string, id: string, checkCreated: (pid: number, out: string) => void): Promise<{ out: string; err: string }> {
  const out = join(ws.dir, `${id}.out`);
  const err = join(ws.dir, `${id}.err`);
  const runcRoot = join(ws.dir, 'runc-root');
  const bin = runtime === 'c' ? `${process.execPath} ${CLI} --root ${ws.state}` : `runc --root ${runcRoot}`;
  const pidFile = join(ws.dir, `${id}.pid`);
  const created = spawnSync('sh', ['-c', `${bin} create --bundle ${bundle} --pid-file ${pidFile} ${id} </dev/null >${out} 2>${err}`], { encoding: 'utf8' });
  try {
    expect(created.status, readFileSync(err, 'utf8')).toBe(0);
    // Give a failing init time to fail: before the fix it died right after reporting ready.
    await sleep(300);
    checkCreated(Number(readFileSync(pidFile, 'utf8')), readFileSync(out, 'utf8'));
    const started = spawnSync('sh', ['-c', `${bin} start ${id}`], { encoding: 'utf8' });
    expect(started.status, `${started.stderr}${readFileSync(err, 'utf8')}`).toBe(0);
    const deadline = Date.now() + 30_000; // generous: a loaded CI machine
    while (!readFileSync(out, 'utf8').includes('done\n') && Date.now() < deadline) await sleep(50);
    return { out: readFileSync(out, 'utf8'), err: readFileSync(err, 'utf8') };
  } finally {
    spawnSync('sh', ['-c', `${bin} delete --force ${id}`]);
  }
}

const EXPECTED = [
  /^uid=1000\(user\) gid=1000\(user\) groups=100,1000\(user\)$/m,
  ...UID_1000_STATUS,
  /^proc-owner=1000$/m, // dumpable again after execve, whatever the init was
];
describe.skipIf(!isRoot())('c-runtime create + start: a non-root process without CAP_DAC_OVERRIDE', () => {
  for (const nnp of [true, false]) {
    it(`uid 1000, groups, an ambient capability, no_new_privs ${nnp}: blocks until start, then runs as runc runs it`, async () => {
      const bundle = userBundle(nnp);
      const id = uniqueId(nnp ? 'nnp' : 'privs');
      const c = await createThenStart('c', bundle, id, (pid, out) => {
        // Created: the init is alive, has not exec'd (still node) and the payload printed nothing.
        expect(readlinkSync(`/proc/${pid}/exe`)).toBe(process.execPath);
        expect(out).toBe('');
        // The fifo `start` releases the init through stays root's alone.
        const fifo = statSync(join(ws.state, id, 'exec.fifo'));
        expect(fifo.isFIFO()).toBe(true);
        expect([fifo.mode & 0o777, fifo.uid]).toEqual([0o600, 0]);
      });
      expect(c.err).toBe('');
      for (const line of [...EXPECTED, new RegExp(`^NoNewPrivs:\\s+${nnp ? 1 : 0}$`, 'm')]) expect(c.out).toMatch(line);
      expect(existsSync(join(ws.state, id))).toBe(false);
      if (hasRunc) {
        const runc = await createThenStart('runc', bundle, `${id}-runc`, (_pid, out) => expect(out).toBe(''));
        expect(c.out).toBe(runc.out);
      }
    });
  }

  it('start reports an init that died while created instead of waiting', async () => {
    const bundle = userBundle(true);
    const id = uniqueId('dead');
    const pidFile = join(ws.dir, `${id}.pid`);
    expect((await cli(ws.state, ['create', '--bundle', bundle, '--pid-file', pidFile, id])).code).toBe(0);
    try {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      // Never 0 or negative: process.kill would signal a whole process group (ours).
      expect(pid).toBeGreaterThan(1);
      expect(readlinkSync(`/proc/${pid}/exe`)).toBe(process.execPath);
      process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + 5000;
      while (existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z') && Date.now() < deadline) await sleep(20);
      const started = await cli(ws.state, ['start', id]);
      expect(started.code).not.toBe(0);
      expect(started.stderr).toMatch(/cannot start a container that is stopped|exited before start/);
    } finally {
      await cli(ws.state, ['delete', '--force', id]);
    }
  });
});
