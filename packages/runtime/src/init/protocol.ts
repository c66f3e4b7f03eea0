import type { SpecUser } from '../spec/types';
import type { RootfsConfig } from './rootfs';

/**
 * Parent → init, one JSON line on fd 3 (a socketpair from child_process.spawn). Everything is planned in the parent
 * (capability masks, clamped rlimits) so the init only executes: fewer modules to load, nothing to decide.
 */
export interface InitConfig {
  /** Namespaces to join (with path) or create (without), pid excluded: the parent placed the init in its pid ns. */
  namespaces: { type: string; path?: string | undefined }[];
  rootfs: RootfsConfig;
  process: {
    args: string[];
    env: string[];
    cwd: string;
    terminal: boolean;
  };
  identity: {
    user: SpecUser;
    /** Capability masks as decimal strings (JSON has no bigint). */
    capabilities: { bounding: string; effective: string; inheritable: string; permitted: string; ambient: string };
    rlimits: { type: string; resource: number; soft: string; hard: string }[];
    noNewPrivileges: boolean;
    oomScoreAdj?: number | undefined;
    lastCap: number;
  };
  /** A compiled seccomp filter (base64 BPF) and its SECCOMP_FILTER_FLAG_*; loaded last before execve. */
  seccomp?: { program: string; flags: number } | undefined;
  /** Host path of the exec fifo the init blocks on until `start`. */
  execFifo: string;
  /**
   * Only for an init started ahead of its container (a pool's): the fds (of 0-2) the fds waiting on fd 4
   * (SCM_RIGHTS, sent just before this line) become, in order. Absent: the init got its stdio at spawn.
   */
  stdioFds?: number[] | undefined;
}

/**
 * Init → parent, JSON lines on fd 3: `booted` once Node and koffi are loaded (the parent then moves the init into
 * its cgroup and applies the limits, so Node's own start-up is neither charged to nor blocked by them), then
 * `ready` or `error`.
 */
export type InitReport =
  | { type: 'booted' }
  | { type: 'ready' }
  | {
      type: 'error';
      message: string;
      code: string;
      hint?: string | undefined;
      syscall?: string | undefined;
      errno?: string | undefined;
      path?: string | undefined;
      /** Suggested exit status (127: executable not found, 126: not executable). */
      exitCode?: number | undefined;
    };
