import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CError } from '@c/errors';
import { linuxSyscalls, type Syscalls } from '@c/namespaces';
import { limitValue, pidsMax } from './convert';
import type { CgroupLayout } from './detect';
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
import type { CgroupManager, CgroupStats, LinuxDeviceCgroup, LinuxResources } from './types';

/** The v1 controllers a container gets a directory in (when the host mounts them). */
const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'blkio', 'freezer', 'devices'] as const;
type V1Controller = (typeof V1_CONTROLLERS)[number];

/** v1 reports "unlimited" as the largest page-aligned signed 64-bit number. */
const V1_UNLIMITED_THRESHOLD = 2 ** 62;
const USER_HZ_NS = 10_000_000;
const SIGKILL = 9;

export interface CgroupV1Options {
  layout: CgroupLayout;
  /** This process's cgroup per controller (relative cgroup paths are joined to it). */
  own: Map<string, string>;
  syscalls?: Syscalls;
}

/** A v1 devices.allow/deny line: "c 1:3 rwm", with '*' for any number. */
export function deviceRule(rule: LinuxDeviceCgroup): string {
  const type = rule.type ?? 'a';
  const access = rule.access ?? 'rwm';
  if (!/^[abc]$/.test(type) || !/^[rwm]{1,3}$/.test(access)) {
    throw new CError('INVALID_ARGUMENT', `device rule type ${JSON.stringify(type)} / access ${JSON.stringify(access)} is invalid`, {
      hint: "type is 'a', 'b' or 'c'; access is made of r, w and m",
    });
  }
  const num = (n: number | undefined) => (n === undefined || n < 0 ? '*' : String(Math.floor(n)));
  return type === 'a' ? `a *:* ${access}` : `${type} ${num(rule.major)}:${num(rule.minor)} ${access}`;
}

/** cgroup v1: one directory per controller hierarchy (legacy and hybrid hosts). */
export class CgroupV1Manager implements CgroupManager {
  readonly version = 1 as const;
  private readonly dirs = new Map<V1Controller, string>();
  private readonly sys: Syscalls;
  private cgroupPath: string | undefined;

  get path(): string | undefined {
    return this.cgroupPath;
  }

  constructor(private readonly options: CgroupV1Options) {
    this.sys = options.syscalls ?? linuxSyscalls;
  }

  create(path: string, resources: LinuxResources = {}): void {
    if (this.dirs.size > 0) throw new CError('CONFLICT', `cgroup manager is already bound to ${this.describe()}`);
    for (const controller of V1_CONTROLLERS) {
      const mount = this.options.layout.v1.get(controller);
      if (!mount) continue;
      const cgroup = resolveCgroupPath(path, this.options.own.get(controller) ?? '/');
      const dir = join(mount, cgroup);
      if (controller === 'cpuset') this.makeCpusetDirs(mount, cgroup);
      else makeCgroupDir(dir);
      this.dirs.set(controller, dir);
    }
    if (this.dirs.size === 0) {
      throw new CError('UNSUPPORTED', 'no cgroup v1 controllers are mounted', {
        hint: 'mount the cgroup hierarchies under /sys/fs/cgroup',
      });
    }
    this.cgroupPath = normalizeCgroupPath(path);
    this.apply(resources);
  }

  attach(path: string): boolean {
    if (this.dirs.size > 0) throw new CError('CONFLICT', `cgroup manager is already bound to ${this.describe()}`);
    for (const controller of V1_CONTROLLERS) {
      const mount = this.options.layout.v1.get(controller);
      if (!mount) continue;
      const dir = join(mount, resolveCgroupPath(path, this.options.own.get(controller) ?? '/'));
      if (existsSync(dir)) this.dirs.set(controller, dir);
    }
    if (this.dirs.size === 0) return false;
    this.cgroupPath = normalizeCgroupPath(path);
    return true;
  }

  /** New cpuset cgroups start with empty cpus/mems (no task may join): copy each parent's down the path. */
  private makeCpusetDirs(mount: string, cgroup: string): void {
    let dir = mount;
    for (const part of cgroup.split('/').filter(Boolean)) {
      const parent = dir;
      dir = join(dir, part);
      makeCgroupDir(dir);
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        if (readCgroupFile(dir, file) === '') writeCgroupFile(dir, file, readCgroupFile(parent, file) ?? '');
      }
    }
  }

  private dir(controller: V1Controller): string | undefined {
    return this.dirs.get(controller);
  }

  private need(controller: V1Controller, what: string): string {
    const dir = this.dirs.get(controller);
    if (dir) return dir;
    if (this.dirs.size === 0) throw new CError('CONFLICT', 'cgroup manager has no cgroup yet', { hint: 'call create() first' });
    throw new CError('UNSUPPORTED', `${what} needs the ${controller} cgroup controller, which is not mounted`, {
      hint: `mount the ${controller} hierarchy or drop ${what} from the spec`,
    });
  }

  private describe(): string {
    return [...this.dirs.values()][0] ?? '(none)';
  }

  addProcess(pid: number): void {
    if (this.dirs.size === 0) throw new CError('CONFLICT', 'cgroup manager has no cgroup yet', { hint: 'call create() first' });
    for (const dir of this.dirs.values()) writeCgroupFile(dir, 'cgroup.procs', pid);
  }

  apply(resources: LinuxResources): void {
    const { memory, cpu, pids, blockIO, unified } = resources;
    if (unified && Object.keys(unified).length > 0) {
      throw new CError('UNSUPPORTED', 'linux.resources.unified needs cgroup v2, but this host runs cgroup v1', {
        hint: 'drop linux.resources.unified or run on a cgroup v2 host',
      });
    }
    if (memory) {
      const dir = this.need('memory', 'a memory limit');
      this.applyMemoryLimits(dir, memory.limit, memory.swap);
      if (memory.reservation !== undefined) writeCgroupFile(dir, 'memory.soft_limit_in_bytes', limitValue(memory.reservation, 1));
      if (memory.swappiness !== undefined && memory.swappiness >= 0) writeCgroupFile(dir, 'memory.swappiness', memory.swappiness);
      if (memory.disableOOMKiller !== undefined) writeCgroupFile(dir, 'memory.oom_control', memory.disableOOMKiller ? 1 : 0);
    }
    if (cpu) {
      if (cpu.shares !== undefined && cpu.shares > 0) writeCgroupFile(this.need('cpu', 'cpu shares'), 'cpu.shares', cpu.shares);
      // Period first: the kernel checks quota against the current period.
      if (cpu.period !== undefined && cpu.period > 0) writeCgroupFile(this.need('cpu', 'a cpu period'), 'cpu.cfs_period_us', cpu.period);
      if (cpu.quota !== undefined && cpu.quota !== 0) writeCgroupFile(this.need('cpu', 'a cpu quota'), 'cpu.cfs_quota_us', cpu.quota < 0 ? -1 : cpu.quota);
      if (cpu.cpus) writeCgroupFile(this.need('cpuset', 'cpuset.cpus'), 'cpuset.cpus', cpu.cpus);
      if (cpu.mems) writeCgroupFile(this.need('cpuset', 'cpuset.mems'), 'cpuset.mems', cpu.mems);
    }
    if (pids) writeCgroupFile(this.need('pids', 'a pids limit'), 'pids.max', pidsMax(pids.limit));
    if (resources.devices && resources.devices.length > 0) {
      const dir = this.need('devices', 'device rules');
      for (const rule of resources.devices) writeCgroupFile(dir, rule.allow ? 'devices.allow' : 'devices.deny', deviceRule(rule));
    }
    if (blockIO?.weight !== undefined && blockIO.weight > 0) {
      const dir = this.need('blkio', 'a blkio weight');
      // CFQ kernels have blkio.weight; BFQ-only kernels (this host) have blkio.bfq.weight.
      const file = existsSync(join(dir, 'blkio.weight')) ? 'blkio.weight' : 'blkio.bfq.weight';
      writeCgroupFile(dir, file, blockIO.weight);
    }
  }

  /**
   * memory.limit_in_bytes must stay ≤ memory.memsw.limit_in_bytes at every step: when raising, memsw goes first;
   * when lowering, memory goes first. Try one order and fall back to the other.
   */
  private applyMemoryLimits(dir: string, limit: number | undefined, swap: number | undefined): void {
    const memsw = swap !== undefined && existsSync(join(dir, 'memory.memsw.limit_in_bytes')) ? swap : undefined;
    if (swap !== undefined && memsw === undefined && swap !== -1 && swap !== limit) {
      throw new CError('UNSUPPORTED', `memory.swap ${swap} needs swap accounting, which this kernel lacks (${dir})`, {
        hint: 'boot with swapaccount=1, or drop memory.swap from the spec',
      });
    }
    const writeLimit = () => limit !== undefined && writeCgroupFile(dir, 'memory.limit_in_bytes', limitValue(limit, 1));
    const writeMemsw = () => memsw !== undefined && writeCgroupFile(dir, 'memory.memsw.limit_in_bytes', limitValue(memsw, 1));
    try {
      writeLimit();
      writeMemsw();
    } catch (error) {
      if (memsw === undefined) throw error;
      writeMemsw();
      writeLimit();
    }
  }

  oomKills(): number {
    const memory = this.dir('memory');
    return memory ? (readKeyValues(memory, 'memory.oom_control').get('oom_kill') ?? 0) : 0;
  }

  stats(): CgroupStats {
    const memory = this.dir('memory');
    const cpuacct = this.dir('cpuacct');
    const cpu = this.dir('cpu');
    const pids = this.dir('pids');
    const oom = memory ? readKeyValues(memory, 'memory.oom_control') : new Map<string, number>();
    const limit = memory ? readCgroupNumber(memory, 'memory.limit_in_bytes') : undefined;
    const acct = cpuacct ? readKeyValues(cpuacct, 'cpuacct.stat') : new Map<string, number>();
    const memoryStat = memory ? readKeyValues(memory, 'memory.stat') : new Map<string, number>();
    const blkio = this.dir('blkio');
    // The throttle layer sees every request; BFQ-only counters are the fallback when it reports nothing.
    let io = parseIoBytes(blkio ? (readCgroupFile(blkio, 'blkio.throttle.io_service_bytes_recursive') ?? '') : '');
    if (blkio && io.readBytes === 0 && io.writeBytes === 0) {
      io = parseIoBytes(readCgroupFile(blkio, 'blkio.bfq.io_service_bytes_recursive') ?? '');
    }
    return {
      memory: {
        usage: memory ? (readCgroupNumber(memory, 'memory.usage_in_bytes') ?? 0) : 0,
        maxUsage: memory ? (readCgroupNumber(memory, 'memory.max_usage_in_bytes') ?? 0) : 0,
        limit: limit !== undefined && limit < V1_UNLIMITED_THRESHOLD ? limit : undefined,
        oomKills: oom.get('oom_kill') ?? 0,
        limitHits: memory ? (readCgroupNumber(memory, 'memory.failcnt') ?? 0) : 0,
        inactiveFile: memoryStat.get('total_inactive_file') ?? memoryStat.get('inactive_file') ?? 0,
      },
      io,
      cpu: {
        usageNs: cpuacct ? (readCgroupNumber(cpuacct, 'cpuacct.usage') ?? 0) : 0,
        userNs: (acct.get('user') ?? 0) * USER_HZ_NS,
        systemNs: (acct.get('system') ?? 0) * USER_HZ_NS,
        throttledPeriods: cpu ? (readKeyValues(cpu, 'cpu.stat').get('nr_throttled') ?? 0) : 0,
      },
      pids: {
        current: pids ? (readCgroupNumber(pids, 'pids.current') ?? 0) : 0,
        limit: pids ? readCgroupNumber(pids, 'pids.max') : undefined,
      },
    };
  }

  pids(): number[] {
    const dir = this.dir('pids') ?? this.dir('freezer') ?? [...this.dirs.values()][0];
    return dir ? [...new Set(readProcsRecursive(dir))] : [];
  }

  async freeze(): Promise<void> {
    await this.setFreezer('FROZEN');
  }

  async thaw(): Promise<void> {
    await this.setFreezer('THAWED');
  }

  private async setFreezer(state: 'FROZEN' | 'THAWED'): Promise<void> {
    const dir = this.need('freezer', 'freeze/thaw');
    writeCgroupFile(dir, 'freezer.state', state);
    // FREEZING is transient: the kernel may need several writes while tasks are in uninterruptible sleep.
    const done = await waitFor(() => {
      const now = readCgroupFile(dir, 'freezer.state');
      if (now === state) return true;
      if (state === 'FROZEN') writeCgroupFile(dir, 'freezer.state', state);
      return false;
    }, 5000);
    if (!done) {
      throw new CError('UNAVAILABLE', `cgroup ${dir} did not reach ${state} within 5 s`, {
        hint: 'a process may be stuck in uninterruptible sleep (D state); retry later',
      });
    }
  }

  isFrozen(): boolean {
    const dir = this.dir('freezer');
    return dir !== undefined && readCgroupFile(dir, 'freezer.state') === 'FROZEN';
  }

  async killAll(signal = SIGKILL): Promise<void> {
    // Nothing to do once the cgroup is gone (another manager destroyed it).
    if (![...this.dirs.values()].some((dir) => existsSync(dir))) return;
    // Freeze first so nothing forks between reading cgroup.procs and signalling (v1 has no cgroup.kill).
    const freezer = this.dir('freezer');
    const canFreeze = freezer !== undefined && existsSync(freezer);
    if (canFreeze) await this.freeze();
    try {
      for (const pid of this.pids()) {
        try {
          this.sys.kill(pid, signal);
        } catch (error) {
          if ((error as { errnoName?: string }).errnoName !== 'ESRCH') throw error;
        }
      }
    } finally {
      if (canFreeze) await this.thaw();
    }
    if (signal === SIGKILL && !(await waitFor(() => this.pids().length === 0, 5000))) {
      throw new CError('UNAVAILABLE', `processes are left in cgroup ${this.describe()} after SIGKILL`, {
        hint: 'a process may be stuck in uninterruptible sleep (D state); retry destroy later',
      });
    }
  }

  async destroy(): Promise<void> {
    // Every hierarchy is tried even when one fails, so one busy directory never leaves the other seven behind.
    let failure: unknown;
    for (const [controller, dir] of [...this.dirs]) {
      try {
        await removeCgroupDir(dir);
        this.dirs.delete(controller);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
    this.cgroupPath = undefined;
  }

  directories(): string[] {
    return [...this.dirs.values()];
  }
}
