import type { SpecResources } from '../spec/types';

/**
 * What the container lifecycle needs from cgroups. The cgroup manager (src/cgroups, v1 and v2) implements the
 * details; `cgroups-adapter.ts` maps it onto this port so lifecycle code and its tests stay independent of it.
 */
export interface ContainerCgroups {
  /** The cgroup path relative to each hierarchy root, e.g. "/c-runtime/<id>". */
  readonly path: string;
  /**
   * Optional: create the cgroup and apply the limits now, without a process (`create` then only moves `pid` in).
   * Lets the runtime do this while the init is still starting.
   */
  prepare?(resources: SpecResources | undefined): void;
  /** Create the cgroup, apply the limits and move `pid` into it (after `prepare`: only move `pid` in). */
  create(pid: number, resources: SpecResources | undefined): void;
  /** Move another process (exec) into the cgroup; CONFLICT when the cgroup is gone (never recreates it). */
  addProcess(pid: number): void;
  /** Every pid in the cgroup (host pid namespace). */
  pids(): number[];
  isFrozen(): boolean;
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /** How many times the kernel's OOM killer killed a process in this cgroup. */
  oomKills(): number;
  /** The container cgroup's directories on the host (after `create`). */
  directories(): string[];
  /** Remove the cgroup (it must be empty); nothing to do if it does not exist. */
  destroy(): Promise<void>;
}

export type CgroupsFactory = (path: string) => ContainerCgroups;

/** The cgroup path for a container: the spec's linux.cgroupsPath, else /c-runtime/<id>. */
export function cgroupsPathFor(id: string, specPath: string | undefined): string {
  if (specPath !== undefined && specPath !== '') return specPath.startsWith('/') ? specPath : `/${specPath}`;
  return `/c-runtime/${id}`;
}
