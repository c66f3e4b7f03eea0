import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CError } from '@c/errors';
import { createCgroupManager, resolveCgroupPath } from '../cgroups/index';
import { hostCgroupFacts } from '../cgroups/detect';
import type { CgroupLayout, CgroupManager, LinuxDeviceCgroup, LinuxResources } from '../cgroups/index';
import { readProcsRecursive } from '../cgroups/files';
import type { SpecResources } from '../spec/types';
import type { CgroupsFactory, ContainerCgroups } from './cgroups-port';

/**
 * Devices every container may use whatever the spec's rules say (null, zero, full, random, urandom, tty,
 * console, ptmx, the pts slaves), appended last so they win, as runc does.
 */
const DEFAULT_ALLOWED_DEVICES: readonly LinuxDeviceCgroup[] = [
  ...[3, 5, 7, 8, 9].map((minor) => ({ allow: true, type: 'c', major: 1, minor, access: 'rwm' })),
  ...[0, 1, 2].map((minor) => ({ allow: true, type: 'c', major: 5, minor, access: 'rwm' })),
  { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' },
];

/** The parts of the spec's resources the cgroup manager applies. */
function toLinuxResources(resources: SpecResources | undefined): LinuxResources {
  const out: LinuxResources = {};
  if (resources?.devices) out.devices = [...(resources.devices as LinuxDeviceCgroup[]), ...DEFAULT_ALLOWED_DEVICES];
  if (resources?.memory) out.memory = resources.memory;
  if (resources?.cpu) out.cpu = resources.cpu;
  if (resources?.pids) out.pids = resources.pids;
  if (resources?.blockIO && typeof resources.blockIO.weight === 'number') out.blockIO = { weight: resources.blockIO.weight };
  if (resources?.unified) out.unified = resources.unified;
  return out;
}

/** Maps the cgroup manager (src/cgroups) onto the lifecycle's port. Reads never create directories. */
class ManagedCgroups implements ContainerCgroups {
  private manager: CgroupManager | undefined;

  constructor(
    readonly path: string,
    private readonly layout: CgroupLayout,
    private readonly own: Map<string, string>,
    private readonly makeManager: () => CgroupManager,
  ) {}

  /** Host directory of the container's cgroup for one v1 controller, or the v2 directory ('' key). */
  private dirFor(controller: string): string | undefined {
    if (this.layout.mode === 'unified') {
      return this.layout.v2 === undefined ? undefined : join(this.layout.v2, resolveCgroupPath(this.path, this.own.get('') ?? '/'));
    }
    const mount = this.layout.v1.get(controller);
    return mount === undefined ? undefined : join(mount, resolveCgroupPath(this.path, this.own.get(controller) ?? '/'));
  }

  private exists(): boolean {
    const dir = this.dirFor('pids') ?? this.dirFor('memory');
    return dir !== undefined && existsSync(dir);
  }

  private bound(): CgroupManager {
    if (this.manager === undefined) {
      const manager = this.makeManager();
      manager.create(this.path);
      this.manager = manager;
    }
    return this.manager;
  }

  private prepared: CgroupManager | undefined;

  prepare(resources: SpecResources | undefined): void {
    const manager = this.makeManager();
    manager.create(this.path, toLinuxResources(resources));
    this.manager = manager;
    this.prepared = manager;
  }

  create(pid: number, resources: SpecResources | undefined): void {
    if (this.prepared === undefined) this.prepare(resources);
    this.bound().addProcess(pid);
  }

  addProcess(pid: number): void {
    // Joining (exec) must never bring back a cgroup the container's end already removed: an exec racing with the
    // exit used to recreate /c/<id> in every v1 hierarchy, left empty once the exec failed.
    const manager = this.existing();
    if (manager === undefined) {
      throw new CError('CONFLICT', `the cgroup ${this.path} of the container is gone: the container has exited`, { hint: 'start the container again' });
    }
    manager.addProcess(pid);
  }

  pids(): number[] {
    const dir = this.dirFor('pids') ?? this.dirFor('memory');
    return dir === undefined ? [] : readProcsRecursive(dir);
  }

  isFrozen(): boolean {
    if (this.layout.mode === 'unified') {
      const dir = this.dirFor('');
      return dir !== undefined && /^frozen 1$/m.test(safeRead(join(dir, 'cgroup.events')));
    }
    const dir = this.dirFor('freezer');
    return dir !== undefined && safeRead(join(dir, 'freezer.state')).trim() === 'FROZEN';
  }

  directories(): string[] {
    return this.bound().directories();
  }

  freeze(): Promise<void> {
    return this.bound().freeze();
  }

  thaw(): Promise<void> {
    return this.bound().thaw();
  }

  /**
   * A manager bound to the directories that exist now, never creating any: reads and removal after the
   * container's end must not bring back a cgroup another caller already removed (that is how cgroups leaked).
   */
  private existing(): CgroupManager | undefined {
    if (this.manager !== undefined) return this.manager;
    const manager = this.makeManager();
    return manager.attach(this.path) ? manager : undefined;
  }

  oomKills(): number {
    if (!this.exists()) return 0;
    return this.existing()?.oomKills() ?? 0;
  }

  async destroy(): Promise<void> {
    // Not guarded by one controller's directory: after a half-done removal (pids gone, freezer left) the
    // remaining directories must still go.
    const manager = this.existing();
    if (manager === undefined) return;
    await manager.destroy();
    this.manager = undefined;
    this.prepared = undefined;
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Cgroups on this host: v1 (legacy or hybrid) or v2, as the cgroup manager detects them. */
export function defaultCgroupsFactory(): CgroupsFactory {
  return (path) => {
    const { layout, own } = hostCgroupFacts();
    return new ManagedCgroups(path, layout, own, () => createCgroupManager({ layout, own }));
  };
}
