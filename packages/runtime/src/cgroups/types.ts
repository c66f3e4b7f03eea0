/** OCI runtime-spec `linux.resources` (the parts the cgroup managers apply). Numbers are bytes / µs / counts. */
export interface LinuxResources {
  memory?: LinuxMemory;
  cpu?: LinuxCpu;
  pids?: LinuxPids;
  blockIO?: LinuxBlockIO;
  /**
   * Device access rules, applied in order, the last match deciding (v1: devices.allow / devices.deny; v2: an
   * eBPF CGROUP_DEVICE program compiled from them).
   */
  devices?: LinuxDeviceCgroup[];
  /** cgroup v2 only: interface file → value, written as is (e.g. { "memory.high": "50M" }). */
  unified?: Record<string, string>;
}

export interface LinuxMemory {
  /** Hard limit in bytes; -1 = unlimited. */
  limit?: number;
  /** Soft limit (v1 memory.soft_limit_in_bytes, v2 memory.low); -1 = none. */
  reservation?: number;
  /** Memory + swap limit in bytes (the OCI meaning, as v1's memsw); -1 = unlimited. */
  swap?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
}

export interface LinuxCpu {
  /** Relative weight, 2-262144 (v1 cpu.shares; converted to v2 cpu.weight). */
  shares?: number;
  /** CFS quota per period in µs; -1 = unlimited. */
  quota?: number;
  /** CFS period in µs (default 100000). */
  period?: number;
  /** CPUs the cgroup may run on, e.g. "0-1". */
  cpus?: string;
  /** Memory nodes, e.g. "0". */
  mems?: string;
}

export interface LinuxPids {
  /** Maximum number of tasks; 0 or -1 = unlimited. */
  limit: number;
}

export interface LinuxBlockIO {
  /** Relative weight 10-1000 (v1 blkio(.bfq).weight; converted to v2 io(.bfq).weight). */
  weight?: number;
}

export interface LinuxDeviceCgroup {
  allow: boolean;
  /** 'a' (all), 'c' or 'b'; default 'a'. */
  type?: string;
  /** Omitted or -1 = any. */
  major?: number;
  minor?: number;
  /** Some of 'r', 'w', 'm'; default 'rwm'. */
  access?: string;
}

export interface CgroupStats {
  memory: {
    /** Current usage in bytes. */
    usage: number;
    /** Peak usage in bytes (v1 max_usage_in_bytes, v2 memory.peak; 0 where the kernel lacks it). */
    maxUsage: number;
    /** The limit in bytes; undefined = unlimited. */
    limit: number | undefined;
    /** Processes killed by the OOM killer in this cgroup. */
    oomKills: number;
    /** Times usage hit the limit (v1 memory.failcnt, v2 memory.events `max`). */
    limitHits: number;
    /** Reclaimable page cache (memory.stat inactive_file): `docker stats` shows usage minus this. */
    inactiveFile: number;
  };
  io: {
    /** Bytes read and written by the cgroup's processes, summed over devices. */
    readBytes: number;
    writeBytes: number;
  };
  cpu: {
    /** Total CPU time in ns. */
    usageNs: number;
    userNs: number;
    systemNs: number;
    throttledPeriods: number;
  };
  pids: {
    current: number;
    /** undefined = unlimited. */
    limit: number | undefined;
  };
}

/**
 * One container's cgroup. `create` binds the manager to a path; the other methods act on it. Writes and reads
 * are synchronous (small files); methods that wait for the kernel (freeze, kill, destroy) return promises.
 */
export interface CgroupManager {
  /** 1 for v1 (legacy or hybrid hosts), 2 for the unified hierarchy. */
  readonly version: 1 | 2;
  /**
   * Create the cgroup (and its parents) and apply `resources`. An absolute `path` is taken from the hierarchy
   * root; a relative one from this process's own cgroup (as runc does). `..` is refused.
   */
  create(path: string, resources?: LinuxResources): void;
  /**
   * Bind to an existing cgroup without creating or changing anything (a later CLI call: kill, delete, exec).
   * Returns false, binding nothing, when the cgroup does not exist.
   */
  attach(path: string): boolean;
  /**
   * The path create/attach was given, normalized ('/c/abc', or 'c/abc' when relative): store it and pass it to
   * `attach` later. undefined before create/attach and after destroy.
   */
  readonly path: string | undefined;
  /** Move a process into the cgroup. */
  addProcess(pid: number): void;
  /** Apply (or change) resource limits. */
  apply(resources: LinuxResources): void;
  stats(): CgroupStats;
  /** `stats().memory.oomKills` alone: one file read (the engine checks it at every container exit). */
  oomKills(): number;
  /** PIDs in the cgroup (including its descendants). */
  pids(): number[];
  /** Freeze every process; resolves once the kernel reports the cgroup frozen. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /** Whether the cgroup is frozen (v1 freezer.state FROZEN, v2 cgroup.events frozen 1). */
  isFrozen(): boolean;
  /** Signal every process; with SIGKILL, resolves once the cgroup is empty. */
  killAll(signal?: number): Promise<void>;
  /** Remove the cgroup directories (children first), retrying briefly while the kernel reports EBUSY. */
  destroy(): Promise<void>;
  /** The cgroup's directories on the host (one per v1 controller, or one on v2). */
  directories(): string[];
}
