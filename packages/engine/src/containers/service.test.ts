// ContainerService without root: a fake image port (an image with no layers) and the copy snapshotter in a temp
// dir. Covers create → record + bundle, names, restore, rename, list, remove; running containers are in tests/e2e.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CError } from '@c/errors';
import type { ImageConfig } from '@c/image';
import { CopySnapshotter } from '@c/layers';
import { ROOTFS_MOUNT_ANNOTATION, type ContainerCgroups } from '@c/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImagePort } from './image-port';
import { ContainerService } from './service';
import type { EngineEvent } from './events';

const IMAGE_ID = `sha256:${'c'.repeat(64)}`;
const CONFIG: ImageConfig = {
  architecture: 'amd64',
  os: 'linux',
  rootfs: { type: 'layers', diff_ids: [] },
  config: { Cmd: ['sh'], Env: ['PATH=/bin'], Labels: { from: 'image' }, WorkingDir: '/work' },
};

const fakeImages: ImagePort = {
  async resolve(nameOrId) {
    if (nameOrId !== 'fake:1' && !IMAGE_ID.includes(nameOrId)) throw new CError('NOT_FOUND', `No such image: ${nameOrId}`);
    return { id: IMAGE_ID, config: structuredClone(CONFIG), layers: [] };
  },
  open() {
    throw new Error('no layers to open');
  },
};

let dir: string;
let services: ContainerService[];

/** Cgroups that exist only in memory: start's failure path must not need root. */
const fakeCgroups = (path: string): ContainerCgroups => ({
  path,
  create() {},
  addProcess() {},
  pids: () => [],
  isFrozen: () => false,
  freeze: async () => {},
  thaw: async () => {},
  oomKills: () => 0,
  directories: () => [],
  destroy: async () => {},
});

/**
 * An init that says it booted (the runtime's protocol: booted, then the plan arrives), reads its plan from fd 3 and
 * refuses it, the way the real init reports a failure.
 */
function refusingInit(): string {
  const path = join(dir, 'refusing-init.cjs');
  writeFileSync(
    path,
    `const fs = require('fs'); let b = ''; const buf = Buffer.alloc(65536);
     fs.writeSync(3, JSON.stringify({ type: 'booted' }) + '\\n');
     while (!b.includes('\\n')) { const n = fs.readSync(3, buf); if (n === 0) break; b += buf.subarray(0, n).toString(); }
     fs.writeSync(3, JSON.stringify({ type: 'error', code: 'NOT_FOUND', message: 'fake init: no such executable', exitCode: 127 }) + '\\n');
     process.exit(127);`,
  );
  return path;
}

async function open(cgroups: (path: string) => ContainerCgroups = fakeCgroups): Promise<ContainerService> {
  const service = await ContainerService.open({
    root: dir,
    images: fakeImages,
    snapshotter: new CopySnapshotter(join(dir, 'snapshots')),
    initScript: refusingInit(),
    // These starts exercise the (fake) init's reports; the direct path is covered by e2e/containers/direct-start.
    directStart: false,
    cgroups,
  });
  services.push(service);
  return service;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c-ctr-unit-'));
  services = [];
});
afterEach(async () => {
  for (const s of services) s.close();
  // Record writes still waiting for their fsync (a failed start's error record) must land before the root goes,
  // as the daemon waits for them at shutdown.
  await Promise.all(services.map((s) => s.settled()));
  rmSync(dir, { recursive: true, force: true });
});

describe('ContainerService (no root)', () => {
  it('create writes a docker-shaped record and a bundle whose spec mounts the snapshot', async () => {
    const service = await open();
    const events: EngineEvent[] = [];
    service.events.subscribe((e) => events.push(e));
    const c = await service.create({ image: 'fake:1', name: 'box', cmd: ['echo', 'hi'], env: ['A=1'], labels: { run: 'yes' } });
    expect(c).toMatchObject({
      Name: '/box',
      Path: 'echo',
      Args: ['hi'],
      Image: IMAGE_ID,
      Driver: 'copy',
      State: { Status: 'created', Running: false, Pid: 0, ExitCode: 0 },
      Config: { Image: 'fake:1', Env: ['PATH=/bin', 'A=1'], Labels: { from: 'image', run: 'yes' }, WorkingDir: '/work', Hostname: c.Id.slice(0, 12) },
      HostConfig: { RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false },
    });
    const recordDir = service.recordDir(c.Id);
    expect(JSON.parse(readFileSync(join(recordDir, 'config.v2.json'), 'utf8'))).toEqual(c);
    expect(c.LogPath).toBe(join(recordDir, `${c.Id}-json.log`));
    const spec = JSON.parse(readFileSync(join(recordDir, 'bundle/config.json'), 'utf8')) as { process: { args: string[]; cwd: string }; annotations: Record<string, string> };
    expect(spec.process.args).toEqual(['echo', 'hi']);
    expect(spec.process.cwd).toBe('/work');
    const rootfs = JSON.parse(spec.annotations[ROOTFS_MOUNT_ANNOTATION]!) as { type: string; source: string };
    expect(rootfs.type).toBe('bind');
    expect(existsSync(rootfs.source)).toBe(true);
    expect(readFileSync(join(recordDir, 'hostname'), 'utf8')).toBe(`${c.Id.slice(0, 12)}\n`);
    expect(events.map((e) => [e.Type, e.Action, e.Actor.ID, e.Actor.Attributes.name])).toEqual([['container', 'create', c.Id, 'box']]);
  });

  it('createForStart makes the cgroup first, answers with the record in place before its fsync, and undoes the cgroup of a failed create', async () => {
    const calls: string[] = [];
    const service = await open((path) => ({
      ...fakeCgroups(path),
      prepare: () => void calls.push(`prepare ${path}`),
      destroy: async () => void calls.push(`destroy ${path}`),
    }));
    const { record, durable } = await service.createForStart({ image: 'fake:1', name: 'run' });
    expect(calls).toEqual([`prepare /c/${record.Id}`]);
    const onDisk = join(service.recordDir(record.Id), 'config.v2.json');
    expect(JSON.parse(readFileSync(onDisk, 'utf8'))).toEqual(record);
    await durable;
    expect(readdirSync(service.recordDir(record.Id)).filter((f) => f.includes('.tmp-'))).toEqual([]);

    calls.length = 0;
    await expect(service.createForStart({ image: 'fake:1', name: 'run' })).rejects.toThrow('is already in use');
    await expect(service.createForStart({ image: 'other:1' })).rejects.toThrow('No such image: other:1');
    expect(calls).toHaveLength(4);
    for (const [made, undone] of [calls.slice(0, 2), calls.slice(2)]) {
      expect(made).toMatch(/^prepare \/c\/[0-9a-f]{64}$/);
      expect(undone).toBe(made!.replace('prepare', 'destroy'));
    }
    // docker's create leaves the cgroup to the start.
    calls.length = 0;
    await service.create({ image: 'fake:1' });
    expect(calls).toEqual([]);
    // The failed creates left no directory.
    await service.settled();
    expect(readdirSync(join(dir, 'containers')).filter((name) => !name.startsWith('.')).length).toBe(2);
  });

  it('a new service removes what a create cut short by a crash left (its directory and cgroup), once old enough', async () => {
    const first = await open();
    const kept = await first.create({ image: 'fake:1' });
    const [old, young] = ['d'.repeat(64), 'e'.repeat(64)];
    for (const id of [old, young]) mkdirSync(join(dir, 'containers', id, 'bundle'), { recursive: true });
    const past = new Date(Date.now() - 120_000);
    utimesSync(join(dir, 'containers', old), past, past);
    const destroyed: string[] = [];
    const second = await open((path) => ({ ...fakeCgroups(path), destroy: async () => void destroyed.push(path) }));
    await second.settled();
    expect(destroyed).toEqual([`/c/${old}`]);
    expect(existsSync(join(dir, 'containers', old))).toBe(false);
    expect(existsSync(join(dir, 'containers', young))).toBe(true);
    expect(second.inspect(kept.Id).Id).toBe(kept.Id);
  });

  it('finds containers by id, name, /name and unique prefix; reports docker\'s not-found message', async () => {
    const service = await open();
    const a = await service.create({ image: 'fake:1' });
    expect(service.inspect(a.Id).Id).toBe(a.Id);
    expect(service.inspect(a.Name).Id).toBe(a.Id);
    expect(service.inspect(a.Name.slice(1)).Id).toBe(a.Id);
    expect(service.inspect(a.Id.slice(0, 12)).Id).toBe(a.Id);
    expect(() => service.inspect('nothing')).toThrow('No such container: nothing');
    await expect(service.create({ image: 'other:1' })).rejects.toThrow('No such image: other:1');
  });

  it('names are unique and a failed create frees its name', async () => {
    const service = await open();
    const a = await service.create({ image: 'fake:1', name: 'xx' });
    await expect(service.create({ image: 'fake:1', name: 'xx' })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining(`"/xx" is already in use by container "${a.Id}"`) });
    await expect(service.create({ image: 'fake:1', name: 'yy', restartPolicy: 'always', autoRemove: true })).rejects.toThrow(/Conflicting options/);
    expect((await service.create({ image: 'fake:1', name: 'yy' })).Name).toBe('/yy');
    service.rename('xx', 'zz');
    await expect(service.create({ image: 'fake:1', name: 'zz' })).rejects.toThrow(/already in use/);
    expect((await service.create({ image: 'fake:1', name: 'xx' })).Name).toBe('/xx');
  });

  it('a create failing in either of its overlapped steps (snapshot, /etc files) leaves neither behind and frees its name', async () => {
    const service = await open();
    const snapshots = async () => {
      const keys: string[] = [];
      await service.snapshotter.walk((info) => void keys.push(info.name));
      return keys;
    };
    const containerDirs = () => readdirSync(join(dir, 'containers'));
    const prepare = service.snapshotter.prepare.bind(service.snapshotter);
    const preparing: Promise<unknown>[] = [];
    service.snapshotter.prepare = (...args) => {
      const done = prepare(...args);
      preparing.push(done);
      return done;
    };
    // The /etc files fail while the snapshot is still being prepared: once prepared, it is removed again.
    const networking = (service as unknown as { networking: { writeFiles: (...args: unknown[]) => Promise<unknown> } }).networking;
    const writeFiles = networking.writeFiles.bind(networking);
    networking.writeFiles = () => Promise.reject(new Error('no /etc files'));
    await expect(service.create({ image: 'fake:1', name: 'one' })).rejects.toThrow('no /etc files');
    await Promise.allSettled(preparing);
    expect(await snapshots()).toEqual([]);
    // The directory is renamed away at once and deleted on the thread pool.
    await service.settled();
    expect(containerDirs()).toEqual([]);
    // The snapshot fails while the files are written: the container's directory goes.
    networking.writeFiles = writeFiles;
    service.snapshotter.prepare = async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('no snapshot');
    };
    await expect(service.create({ image: 'fake:1', name: 'one' })).rejects.toThrow('no snapshot');
    await service.settled();
    expect(containerDirs()).toEqual([]);
    service.snapshotter.prepare = prepare;
    expect((await service.create({ image: 'fake:1', name: 'one' })).Name).toBe('/one');
  });

  it('remove also takes a cgroup left without runtime state (a daemon killed half-way through a start)', async () => {
    const log: string[] = [];
    const service = await ContainerService.open({
      root: dir,
      images: fakeImages,
      snapshotter: new CopySnapshotter(join(dir, 'snapshots')),
      directStart: false,
      cgroups: (path) => ({ ...fakeCgroups(path), destroy: async () => void log.push(`destroy ${path}`) }),
    });
    services.push(service);
    const c = await service.create({ image: 'fake:1' });
    await service.remove(c.Id);
    expect(log).toEqual([`destroy /c/${c.Id}`]);
  });

  it('a new service on the same root restores every record; remove deletes record, snapshot and files', async () => {
    const first = await open();
    const a = await first.create({ image: 'fake:1', name: 'keep' });
    const b = await first.create({ image: 'fake:1', name: 'drop', labels: { tier: 'x' } });
    first.close();
    const second = await open();
    expect(second.list({ all: true }).map((s) => s.Names[0]).sort()).toEqual(['/drop', '/keep']);
    expect(second.list()).toEqual([]);
    expect(second.list({ all: true, filters: { label: ['tier=x'] } }).map((s) => s.Id)).toEqual([b.Id]);
    expect(second.inspect('keep').State.Status).toBe('created');
    const removed = second.wait('drop', 'removed');
    await second.remove('drop');
    expect(await removed).toEqual({ StatusCode: 0 });
    expect(existsSync(second.recordDir(b.Id))).toBe(false);
    await expect(second.snapshotter.stat(b.C.snapshotKey)).rejects.toThrow();
    expect(second.list({ all: true }).map((s) => s.Id)).toEqual([a.Id]);
  });

  it('answers wait removed before the snapshot is deleted; remove returns after it', async () => {
    const service = await open();
    const c = await service.create({ image: 'fake:1' });
    const remove = service.snapshotter.remove.bind(service.snapshotter);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    service.snapshotter.remove = async (key) => {
      await gate;
      return remove(key);
    };
    const removed = service.wait(c.Id, 'removed');
    let returned = false;
    const removing = service.remove(c.Id).then(() => void (returned = true));
    expect(await removed).toEqual({ StatusCode: 0 });
    expect(() => service.inspect(c.Id)).toThrow(/No such container/);
    expect((await service.snapshotter.stat(c.C.snapshotKey)).name).toBe(c.C.snapshotKey);
    expect(returned).toBe(false);
    release();
    await removing;
    await expect(service.snapshotter.stat(c.C.snapshotKey)).rejects.toThrow();
  });

  it('a new service deletes container snapshots no record owns (a crash inside remove), not those of unreadable records or young ones', async () => {
    const first = await open();
    const orphan = await first.create({ image: 'fake:1' });
    const unreadable = await first.create({ image: 'fake:1' });
    const kept = await first.create({ image: 'fake:1' });
    const young = await first.create({ image: 'fake:1' });
    first.close();
    await first.settled();
    // The record went, the snapshot's deletion never ran; and another record got corrupted.
    rmSync(first.recordDir(orphan.Id), { recursive: true });
    writeFileSync(join(first.recordDir(unreadable.Id), 'config.v2.json'), '{ not json');
    // A snapshot made a moment ago may be another process's create in flight (its record comes just after): kept.
    rmSync(first.recordDir(young.Id), { recursive: true });
    const metadataFile = join((first.snapshotter as unknown as { root: string }).root, 'metadata.json');
    const metadata = JSON.parse(readFileSync(metadataFile, 'utf8')) as { snapshots: Record<string, { created: string }> };
    metadata.snapshots[orphan.C.snapshotKey]!.created = new Date(Date.now() - 3_600_000).toISOString();
    writeFileSync(metadataFile, JSON.stringify(metadata));
    const second = await open();
    await expect(second.snapshotter.stat(orphan.C.snapshotKey)).rejects.toThrow();
    expect((await second.snapshotter.stat(young.C.snapshotKey)).name).toBe(young.C.snapshotKey);
    expect((await second.snapshotter.stat(unreadable.C.snapshotKey)).name).toBe(unreadable.C.snapshotKey);
    expect((await second.snapshotter.stat(kept.C.snapshotKey)).name).toBe(kept.C.snapshotKey);
    expect(second.list({ all: true }).map((row) => row.Id)).toEqual([kept.Id]);
  });

  it('a start whose init reports an error leaves the container created with the error recorded', async () => {
    const service = await open();
    const a = await service.create({ image: 'fake:1' });
    await expect(service.start(a.Id)).rejects.toThrow(/fake init: no such executable|Operation not permitted|EPERM/);
    const after = service.inspect(a.Id);
    expect(after.State.Status).toBe('created');
    expect(after.State.Running).toBe(false);
    expect(after.State.Error).toMatch(/fake init|EPERM|not permitted/);
    await expect(service.kill(a.Id)).rejects.toThrow(/is not running/);
    expect(await service.wait(a.Id)).toEqual({ StatusCode: after.State.ExitCode });
  });
});

describe('network modes without a NetworkService', () => {
  it('none by default (a namespace with only lo), host drops the namespace, bridge is refused and frees the name', async () => {
    const service = await open();
    const namespaces = (id: string) =>
      (JSON.parse(readFileSync(join(service.recordDir(id), 'bundle', 'config.json'), 'utf8')) as { linux: { namespaces: { type: string }[] } }).linux.namespaces
        .filter((n) => n.type === 'network');
    const a = await service.create({ image: 'fake:1' });
    expect(a.HostConfig.NetworkMode).toBe('none');
    expect(namespaces(a.Id)).toEqual([{ type: 'network' }]);
    expect(a.NetworkSettings?.Networks).toEqual({});
    expect(service.ports(a.Id)).toEqual({});
    const b = await service.create({ image: 'fake:1', networkMode: 'host' });
    expect(namespaces(b.Id)).toEqual([]);
    await expect(service.create({ image: 'fake:1', name: 'web', networkMode: 'bridge' })).rejects.toThrow(/without networking/);
    await expect(service.connectNetwork(a.Id, 'bridge')).rejects.toThrow(/without networking/);
    expect((await service.create({ image: 'fake:1', name: 'web' })).Name).toBe('/web');
  });
});

describe('prune', () => {
  it('removes the stopped containers that match, and only those', async () => {
    const service = await open();
    const a = await service.create({ image: 'fake:1', labels: { keep: 'no' } });
    const b = await service.create({ image: 'fake:1', labels: { keep: 'yes' } });
    const result = await service.prune({ label: ['keep=no'] });
    expect(result.ContainersDeleted).toEqual([a.Id]);
    expect(result.SpaceReclaimed).toBeGreaterThanOrEqual(0);
    expect(service.list({ all: true }).map((s) => s.Id)).toEqual([b.Id]);
    expect((await service.prune()).ContainersDeleted).toEqual([b.Id]);
  });
});

describe('docker ps columns', () => {
  const base = {
    Id: 'd'.repeat(64),
    Name: '/web',
    Created: '2024-01-01T00:00:00.000Z',
    Path: 'sh',
    Args: ['-c', 'echo a b'],
    Image: IMAGE_ID,
    Mounts: [],
    Config: { Image: 'fake:1', Labels: { a: '1' } },
  };
  const now = new Date('2024-01-01T01:00:00.000Z');
  const at = (state: Record<string, unknown>) => ({ ...base, State: { StartedAt: '2024-01-01T00:59:30.000Z', FinishedAt: '2024-01-01T00:30:00.000Z', ExitCode: 3, ...state } }) as never;

  it('status text like docker ps', async () => {
    const { statusText, summaryOf } = await import('./service');
    expect(statusText(at({ Status: 'created' }), now)).toBe('Created');
    expect(statusText(at({ Status: 'running' }), now)).toBe('Up 30 seconds');
    expect(statusText(at({ Status: 'running', Health: { Status: 'starting' } }), now)).toBe('Up 30 seconds (health: starting)');
    expect(statusText(at({ Status: 'running', Health: { Status: 'healthy' } }), now)).toBe('Up 30 seconds (healthy)');
    expect(statusText(at({ Status: 'paused' }), now)).toBe('Up 30 seconds (Paused)');
    expect(statusText(at({ Status: 'exited' }), now)).toBe('Exited (3) 30 minutes ago');
    expect(statusText(at({ Status: 'restarting' }), now)).toBe('Restarting (3) 30 minutes ago');
    expect(statusText(at({ Status: 'dead' }), now)).toBe('Dead');
    const summary = summaryOf(at({ Status: 'exited' }), now);
    expect(summary).toMatchObject({ Names: ['/web'], Image: 'fake:1', ImageID: IMAGE_ID, Command: "sh -c 'echo a b'", Created: 1704067200, State: 'exited', Labels: { a: '1' } });
  });
});
