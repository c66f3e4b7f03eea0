import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CLONE, RecordingSyscalls } from '@c/namespaces';
import { directRunBlocker, restoreThread } from './run-direct';
import { StateStore } from './state';

const NEW = [{ type: 'pid' }, { type: 'mount' }, { type: 'network' }, { type: 'cgroup' }];

describe('directRunBlocker', () => {
  const dirs: string[] = [];
  const store = () => {
    const dir = mkdtempSync(join(tmpdir(), 'c-direct-'));
    dirs.push(dir);
    return new StateStore(dir);
  };
  afterEach(() => {
    vi.unstubAllEnvs();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(process.arch !== 'x64')('lets a spec with new namespaces through', () => {
    expect(directRunBlocker(store(), NEW)).toBeUndefined();
  });

  it('keeps specs that join a pid or cgroup namespace, or have no mount namespace of their own, on the init', () => {
    expect(directRunBlocker(store(), [...NEW.filter((n) => n.type !== 'pid'), { type: 'pid', path: '/proc/1/ns/pid' }])).toMatch(/joins/);
    expect(directRunBlocker(store(), [...NEW.filter((n) => n.type !== 'cgroup'), { type: 'cgroup', path: '/proc/1/ns/cgroup' }])).toMatch(/joins/);
    expect(directRunBlocker(store(), NEW.filter((n) => n.type !== 'mount'))).toMatch(/no new mount namespace/);
    expect(directRunBlocker(store(), [...NEW.filter((n) => n.type !== 'mount'), { type: 'mount', path: '/proc/1/ns/mnt' }])).toMatch(/no new mount namespace/);
  });

  it('honours C_RUNTIME_DIRECT=0 and a kernel remembered to refuse procfs pidns=', () => {
    vi.stubEnv('C_RUNTIME_DIRECT', '0');
    expect(directRunBlocker(store(), NEW)).toMatch(/C_RUNTIME_DIRECT/);
    vi.unstubAllEnvs();
    const marked = store();
    writeFileSync(join(marked.root, '.procfs-no-pidns'), release());
    if (process.arch === 'x64') expect(directRunBlocker(marked, NEW)).toMatch(/pidns/);
    writeFileSync(join(marked.root, '.procfs-no-pidns'), 'another-kernel');
    if (process.arch === 'x64') expect(directRunBlocker(marked, NEW)).toBeUndefined();
  });
});

describe('restoreThread', () => {
  afterEach(() => vi.restoreAllMocks());

  it('ends the thread (125) when the way back fails, having let go of the build first: a worker thread ends without its finally', () => {
    const events: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    vi.spyOn(process, 'exit').mockImplementation((code) => {
      events.push(`exit ${String(code)}`);
      throw new Error('exited');
    });
    const fd = openSync('/dev/null', 'r');
    try {
      const own = [{ fd, flag: CLONE.NEWNS }];
      restoreThread(new RecordingSyscalls(), own, fd, () => events.push('released'));
      expect(events).toEqual([]);
      const failing = new RecordingSyscalls().failOn('setns', 'EPERM');
      expect(() => restoreThread(failing, own, fd, () => events.push('released'))).toThrow('exited');
      expect(events).toEqual(['released', 'exit 125']);
      // A release that throws still ends the thread.
      events.length = 0;
      expect(() =>
        restoreThread(failing, own, fd, () => {
          events.push('released');
          throw new Error('close failed');
        }),
      ).toThrow('exited');
      expect(events).toEqual(['released', 'exit 125']);
    } finally {
      closeSync(fd);
    }
  });
});
