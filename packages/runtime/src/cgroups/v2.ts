import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CError } from '@c/errors';
import { linuxSyscalls, type Syscalls } from '@c/namespaces';
import { blkioWeightToIoWeight, cpuMax, limitValue, pidsMax, sharesToWeight, swapToV2 } from './convert';
import {
  makeCgroupDir,
  parseIoBytes,
  normalizeCgroupPath,
  readCgroupFile,
  readCgroupNumber,
  readKeyValues,
  readProcsRecursive,
  removeCgroupDir,
  resolveCgroupPath,
  waitFor,
  writeCgroupFile,
} from './files';
import { replaceDeviceFilter } from './device-filter';
import type { CgroupManager, CgroupStats, LinuxDeviceCgroup, LinuxResources } from './types';

const SIGKILL = 9;
/** Controllers c enables for container cgroups, where the parent offers them. */
const WANTED_CONTROLLERS = ['cpu', 'cpuset', 'io', 'memory', 'pids'] as const;

export interface CgroupV2Options {
  /** The cgroup2 mount point (/sys/fs/cgroup); tests pass a directory that imitates it. */
  root: string;
  /** This process's cgroup in the unified hierarchy (relative paths are joined to it). */
  own?: string;
  syscalls?: Syscalls;
}

/** cgroup v2: one directory in the unified hierarchy; controllers enabled through cgroup.subtree_control. */
export class CgroupV2Manager implements CgroupManager {
  readonly version = 2 as const;
  private dirPath: string | undefined;
  private cgroupPath: string | undefined;
  private readonly sys: Syscalls;

  get path(): string | undefined {
    return this.cgroupPath;
  }

  constructor(private readonly options: CgroupV2Options) {
    this.sys = options.syscalls ?? linuxSyscalls;
  }

  private get dir(): string {
    if (!this.dirPath) throw new CError('CONFLICT', 'cgroup manager has no cgroup yet', { hint: 'call create() first' });
    return this.dirPath;
  }

  create(path: string, resources: LinuxResources = {}): void {
    if (this.dirPath) throw new CError('CONFLICT', `cgroup manager is already bound to ${this.dirPath}`);
    const cgroup = resolveCgroupPath(path, this.options.own ?? '/');
    // Walk down from the root: each level must delegate the controllers to its children before they exist there.
    let dir = this.options.root;
    for (const part of cgroup.split('/').filter(Boolean)) {
      this.enableControllers(dir);
      dir = join(dir, part);
      makeCgroupDir(dir);
    }
    this.dirPath = dir;
    this.cgroupPath = normalizeCgroupPath(path);
    this.apply(resources);
  }

  attach(path: string): boolean {
    if (this.dirPath) throw new CError('CONFLICT', `cgroup manager is already bound to ${this.dirPath}`);
    const cgroup = resolveCgroupPath(path, this.options.own ?? '/');
    const dir = join(this.options.root, cgroup);
    if (!existsSync(dir)) return false;
    this.dirPath = dir;
    this.cgroupPath = normalizeCgroupPath(path);
    return true;
  }

  /** Writes "+cpu +memory …" to `dir`/cgroup.subtree_control for the wanted controllers `dir` offers. */
  private enableControllers(dir: string): void {
    const available = new Set((readCgroupFile(dir, 'cgroup.controllers') ?? '').split(/\s+/).filter(Boolean));
    const enabled = new Set((readCgroupFile(dir, 'cgroup.subtree_control') ?? '').split(/\s+/).filter(Boolean));
    const missing = WANTED_CONTROLLERS.filter((c) => available.has(c) && !enabled.has(c));
    if (missing.length > 0) writeCgroupFile(dir, 'cgroup.subtree_control', missing.map((c) => `+${c}`).join(' '));
  }

  /** Whether this cgroup has `controller` (its parent enabled it for us). */
  private has(controller: string): boolean {
    return (readCgroupFile(this.dir, 'cgroup.controllers') ?? '').split(/\s+/).includes(controller);
  }

  private need(controller: string, what: string): void {
    if (!this.has(controller)) {
      throw new CError('UNSUPPORTED', `${what} needs the ${controller} controller, which ${this.dir} does not have`, {
        hint: `enable ${controller} in the parent's cgroup.subtree_control (on a hybrid host it may be bound to cgroup v1), or drop ${what} from the spec`,
      });
    }
  }

  addProcess(pid: number): void {
    writeCgroupFile(this.dir, 'cgroup.procs', pid);
  }

  apply(resources: LinuxResources): void {
    const dir = this.dir;
    const { memory, cpu, pids, blockIO, unified } = resources;
    if (memory) {
      this.need('memory', 'a memory limit');
      const swap = swapToV2(memory.limit, memory.swap);
      // swap.max first: lowering memory.max with a big swap budget would push pages to swap.
      if (swap !== undefined) writeCgroupFile(dir, 'memory.swap.max', swap);
      if (memory.limit !== undefined) writeCgroupFile(dir, 'memory.max', limitValue(memory.limit, 2));
      if (memory.reservation !== undefined) writeCgroupFile(dir, 'memory.low', limitValue(memory.reservation, 2));
      if (memory.disableOOMKiller) {
        throw new CError('UNSUPPORTED', 'memory.disableOOMKiller has no cgroup v2 equivalent', {
          hint: 'drop disableOOMKiller from the spec',
        });
      }
    }
    if (cpu) {
      if (cpu.shares !== undefined && cpu.shares > 0) {
        this.need('cpu', 'cpu shares');
        writeCgroupFile(dir, 'cpu.weight', sharesToWeight(cpu.shares));
      }
      const max = cpuMax(cpu.quota !== undefined && cpu.quota !== 0 ? cpu.quota : undefined, cpu.period || undefined);
      if (max !== undefined) {
        this.need('cpu', 'a cpu quota');
        writeCgroupFile(dir, 'cpu.max', max);
      }
      if (cpu.cpus) {
        this.need('cpuset', 'cpuset.cpus');
        writeCgroupFile(dir, 'cpuset.cpus', cpu.cpus);
      }
      if (cpu.mems) {
        this.need('cpuset', 'cpuset.mems');
        writeCgroupFile(dir, 'cpuset.mems', cpu.mems);
      }
    }
    if (pids) {
      this.need('pids', 'a pids limit');
      writeCgroupFile(dir, 'pids.max', pidsMax(pids.limit));
    }
    if (blockIO?.weight !== undefined && blockIO.weight > 0) {
      this.need('io', 'a blkio weight');
      // BFQ takes the v1 scale (1-1000) in io.bfq.weight; io.weight takes 1-10000.
      if (existsSync(join(dir, 'io.bfq.weight'))) writeCgroupFile(dir, 'io.bfq.weight', blockIO.weight);
      else writeCgroupFile(dir, 'io.weight', `default ${blkioWeightToIoWeight(blockIO.weight)}`);
    }
    if (resources.devices && resources.devices.length > 0) this.applyDevices(resources.devices);
    for (const [file, value] of Object.entries(unified ?? {})) {
      if (file.includes('/') || file.startsWith('.') || !file.includes('.')) {
        throw new CError('UNSAFE_CONTENT', `linux.resources.unified key ${JSON.stringify(file)} is not a cgroup file name`, {
          hint: 'use interface file names such as "memory.high"',
        });
      }
      writeCgroupFile(dir, file, value);
    }
  }

  /**
   * Device rules as an eBPF program on the cgroup, replacing whatever device programs the cgroup itself has
   * (the kernel is asked: the manager that applied the old rules is often another object). No fd is kept.
   */
  private applyDevices(rules: readonly LinuxDeviceCgroup[]): void {
    replaceDeviceFilter(this.sys, this.dir, rules);
  }

  oomKills(): number {
    return readKeyValues(this.dir, 'memory.events').get('oom_kill') ?? 0;
  }

  stats(): CgroupStats {
    const dir = this.dir;
    const events = readKeyValues(dir, 'memory.events');
    const cpu = readKeyValues(dir, 'cpu.stat');
    return {
      memory: {
        usage: readCgroupNumber(dir, 'memory.current') ?? 0,
        maxUsage: readCgroupNumber(dir, 'memory.peak') ?? 0,
        limit: readCgroupFile(dir, 'memory.max') === undefined ? undefined : readCgroupNumber(dir, 'memory.max'),
        oomKills: events.get('oom_kill') ?? 0,
        limitHits: events.get('max') ?? 0,
        inactiveFile: readKeyValues(dir, 'memory.stat').get('inactive_file') ?? 0,
      },
      io: parseIoBytes(readCgroupFile(dir, 'io.stat') ?? ''),
      cpu: {
        usageNs: (cpu.get('usage_usec') ?? 0) * 1000,
        userNs: (cpu.get('user_usec') ?? 0) * 1000,
        systemNs: (cpu.get('system_usec') ?? 0) * 1000,
        throttledPeriods: cpu.get('nr_throttled') ?? 0,
      },
      pids: {
        current: readCgroupNumber(dir, 'pids.current') ?? 0,
        limit: readCgroupFile(dir, 'pids.max') === undefined ? undefined : readCgroupNumber(dir, 'pids.max'),
      },
    };
  }

  pids(): number[] {
    return [...new Set(readProcsRecursive(this.dir))];
  }

  async freeze(): Promise<void> {
    await this.setFrozen(true);
  }

  async thaw(): Promise<void> {
    await this.setFrozen(false);
  }

  private async setFrozen(frozen: boolean): Promise<void> {
    const dir = this.dir;
    writeCgroupFile(dir, 'cgroup.freeze', frozen ? 1 : 0);
    const want = frozen ? 1 : 0;
    if (!(await waitFor(() => readKeyValues(dir, 'cgroup.events').get('frozen') === want, 5000))) {
      throw new CError('UNAVAILABLE', `cgroup ${dir} did not become ${frozen ? 'frozen' : 'thawed'} within 5 s`, {
        hint: 'a process may be stuck in uninterruptible sleep (D state); retry later',
      });
    }
  }

  isFrozen(): boolean {
    return this.dirPath !== undefined && readKeyValues(this.dirPath, 'cgroup.events').get('frozen') === 1;
  }

  async killAll(signal = SIGKILL): Promise<void> {
    if (!this.dirPath || !existsSync(this.dirPath)) return;
    const dir = this.dirPath;
    if (signal === SIGKILL && existsSync(join(dir, 'cgroup.kill'))) {
      // Linux 5.14+: one write kills the whole subtree, forks included.
      writeCgroupFile(dir, 'cgroup.kill', 1);
    } else {
      await this.freeze();
      try {
        for (const pid of this.pids()) {
          try {
            this.sys.kill(pid, signal);
          } catch (error) {
            if ((error as { errnoName?: string }).errnoName !== 'ESRCH') throw error;
          }
        }
      } finally {
        await this.thaw();
      }
    }
    if (signal === SIGKILL && !(await waitFor(() => this.pids().length === 0, 5000))) {
      throw new CError('UNAVAILABLE', `processes are left in cgroup ${dir} after SIGKILL`, {
        hint: 'a process may be stuck in uninterruptible sleep (D state); retry destroy later',
      });
    }
  }

  async destroy(): Promise<void> {
    if (!this.dirPath) return;
    await removeCgroupDir(this.dirPath);
    this.dirPath = undefined;
    this.cgroupPath = undefined;
  }

  directories(): string[] {
    return this.dirPath ? [this.dirPath] : [];
  }
}
