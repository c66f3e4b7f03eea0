import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containerStatus, ociState, procStat, StateStore, validateId } from './state';
import type { ContainerRecord } from './state';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'c-runtime-state-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function record(store: StateStore, pid: number): ContainerRecord {
  const r: ContainerRecord = {
    ociVersion: '1.0.2',
    id: 'abc',
    pid,
    bundle: '/b',
    rootfs: '/b/rootfs',
    created: '2026-01-01T00:00:00.000Z',
    owner: '',
    annotations: {},
    initStartTime: procStat(pid)?.startTime ?? 'none',
    cgroupsPath: '/c-runtime/abc',
    process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['true'] },
    namespaces: ['pid', 'mount'],
  };
  store.write(r);
  return r;
}

describe('StateStore', () => {
  it('refuses a second container with the same id and bad ids', () => {
    const store = new StateStore(root);
    store.create('abc');
    expect(() => store.create('abc')).toThrow(/container with id exists: abc/);
    expect(() => validateId('../x')).toThrow(/invalid container id/);
    expect(() => store.read('nope')).toThrow(/container does not exist: nope/);
  });

  it('derives created/running/stopped from the init and exec.fifo, and prints runc\'s keys', () => {
    const store = new StateStore(root);
    store.create('abc');
    const alive = record(store, process.pid);
    writeFileSync(store.fifoPath('abc'), '');
    expect(containerStatus(store, alive, () => false)).toBe('created');
    rmSync(store.fifoPath('abc'));
    expect(containerStatus(store, alive, () => false)).toBe('running');
    expect(containerStatus(store, alive, () => true)).toBe('paused');
    // A pid whose start time does not match is another process: the container is stopped.
    const reused = { ...alive, initStartTime: '1' };
    expect(containerStatus(store, reused, () => false)).toBe('stopped');
    expect(Object.keys(ociState(alive, 'running'))).toEqual(['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner']);
    expect(ociState(reused, 'stopped').pid).toBe(0);
    expect(store.list()).toEqual(['abc']);
  });
});

describe('StateStore.remove', () => {
  /** A container directory of plain files and a fifo, and one with a subdirectory. */
  function twoContainers(): StateStore {
    const store = new StateStore(root);
    store.create('plain');
    writeFileSync(join(store.dir('plain'), 'state.json'), '{}');
    execFileSync('mkfifo', [store.fifoPath('plain')]);
    store.create('nested');
    mkdirSync(join(store.dir('nested'), 'sub'));
    writeFileSync(join(store.dir('nested'), 'sub', 'file'), 'x');
    return store;
  }

  it('removes a container directory of plain files and a fifo, or with a subdirectory, and an absent one quietly', () => {
    const store = twoContainers();
    store.remove('plain');
    store.remove('nested');
    store.remove('absent');
    expect(readdirSync(root)).toEqual([]);
  });

  it('removeAsync does the same on the thread pool', async () => {
    const store = twoContainers();
    await Promise.all([store.removeAsync('plain'), store.removeAsync('nested'), store.removeAsync('absent')]);
    expect(readdirSync(root)).toEqual([]);
  });
});
