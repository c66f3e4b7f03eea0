/**
 * The parts of the OCI runtime-spec (config.json, v1.x) that c-runtime reads.
 * Field names follow the spec exactly so a config.json parses straight into these types.
 */

export interface Spec {
  ociVersion: string;
  process?: SpecProcess;
  root?: SpecRoot;
  hostname?: string;
  domainname?: string;
  mounts?: SpecMount[];
  hooks?: Record<string, unknown>;
  annotations?: Record<string, string>;
  linux?: SpecLinux;
}

export interface SpecRoot {
  /** Path to the rootfs, relative to the bundle or absolute. */
  path: string;
  readonly?: boolean;
}

export interface SpecUser {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
  username?: string;
}

export interface SpecCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface SpecRlimit {
  type: string;
  hard: number;
  soft: number;
}

export interface SpecConsoleSize {
  height: number;
  width: number;
}

export interface SpecProcess {
  terminal?: boolean;
  consoleSize?: SpecConsoleSize;
  user: SpecUser;
  args?: string[];
  commandLine?: string;
  env?: string[];
  cwd: string;
  capabilities?: SpecCapabilities;
  rlimits?: SpecRlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
}

export interface SpecMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface SpecNamespace {
  type: NamespaceType;
  path?: string;
}

export interface SpecIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface SpecDevice {
  type: string;
  path: string;
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface SpecDeviceCgroup {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
}

export interface SpecResources {
  devices?: SpecDeviceCgroup[];
  memory?: { limit?: number; reservation?: number; swap?: number; kernel?: number; swappiness?: number; disableOOMKiller?: boolean };
  cpu?: { shares?: number; quota?: number; period?: number; realtimeRuntime?: number; realtimePeriod?: number; cpus?: string; mems?: string; idle?: number };
  pids?: { limit: number };
  blockIO?: Record<string, unknown>;
  hugepageLimits?: { pageSize: string; limit: number }[];
  network?: Record<string, unknown>;
  unified?: Record<string, string>;
}

export interface SpecLinux {
  namespaces?: SpecNamespace[];
  uidMappings?: SpecIdMapping[];
  gidMappings?: SpecIdMapping[];
  devices?: SpecDevice[];
  cgroupsPath?: string;
  resources?: SpecResources;
  rootfsPropagation?: string;
  seccomp?: Record<string, unknown>;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  personality?: Record<string, unknown>;
}
