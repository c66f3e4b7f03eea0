// Privileged: after many run/delete cycles nothing leaks (mounts, cgroups, processes, fds).
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt, isRoot, makeBundle, workspace } from './helpers';

const ws = workspace('clean');
beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => ws.cleanup());

const CYCLES = Number(process.env.C_RUNTIME_CYCLES ?? 200);
const PREFIX = `clean-${process.pid}`;

function counts() {
  const cgroupDirs = readdirSync('/sys/fs/cgroup', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => {
      try {
        return readdirSync(`/sys/fs/cgroup/${d.name}/c-runtime`).filter((n) => n.startsWith(PREFIX));
      } catch {
        return [];
      }
    });
  const processes = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cgroup`, 'utf8').includes(`/c-runtime/${PREFIX}`);
      } catch {
        return false;
      }
    });
  return {
    // Only mounts that involve our bundles: other work on this host mounts and unmounts meanwhile.
    mounts: readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(ws.dir)).length,
    cgroups: cgroupDirs.length,
    processes: processes.length,
    fds: readdirSync('/proc/self/fd').length,
    stateDirs: readdirSync(ws.state, { withFileTypes: true }).length,
  };
}

describe.skipIf(!isRoot())('c-runtime cleanup', () => {
  it(`leaks no mounts, cgroups, processes or fds over ${CYCLES} run/delete cycles`, async () => {
    const bundle = makeBundle(ws.dir, ['sh', '-c', 'echo ok > /dev/null']);
    // One detached run + delete --force and one foreground run per cycle pair: both paths must clean up.
    await cli(ws.state, ['run', '--bundle', bundle.dir, `${PREFIX}-warm`]);
    const before = counts();
    for (let i = 0; i < CYCLES; i++) {
      const id = `${PREFIX}-${i}`;
      if (i % 2 === 0) {
        const r = await cli(ws.state, ['run', '--bundle', bundle.dir, id]);
        expect(r.code, r.stderr).toBe(0);
      } else {
        const started = await cli(ws.state, ['run', '--detach', '--bundle', bundle.dir, id]);
        expect(started.code, started.stderr).toBe(0);
        const deleted = await cli(ws.state, ['delete', '--force', id]);
        expect(deleted.code, deleted.stderr).toBe(0);
      }
    }
    // Until the counts come back (10 s at most): the last container's init, reparented to the host's PID 1 by the
    // detached run, may be a zombie still listed in its cgroup until that PID 1 reaps it. A real leak never comes back.
    const deadline = Date.now() + 10_000;
    let after = counts();
    while (JSON.stringify(after) !== JSON.stringify(before) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      after = counts();
    }
    expect(after).toEqual(before);
  }, 1_800_000);
});
