/**
 * The container record and the options of the container operations, shaped after docker's `container inspect`
 * so the daemon can serve them with little mapping.
 */
import type { HealthConfig } from '@c/image';
import type { EndpointSettings, PortMap } from '@c/network';
import type { PortBindings } from '../networks/ports';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  Log: HealthLogEntry[];
}

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: HealthState;
}

/** The container's configuration after merging the image config with the run options (docker's `Config`). */
export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Healthcheck?: HealthConfig;
  Image: string;
  Volumes: Record<string, Record<string, never>> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
}

export type RestartPolicyName = 'no' | 'on-failure' | 'always' | 'unless-stopped';

export interface RestartPolicy {
  Name: RestartPolicyName;
  MaximumRetryCount: number;
}

export interface LogConfig {
  Type: 'json-file';
  Config: { 'max-size'?: string; 'max-file'?: string };
}

export interface HostConfig {
  Binds: string[] | null;
  LogConfig: LogConfig;
  RestartPolicy: RestartPolicy;
  AutoRemove: boolean;
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  ReadonlyRootfs: boolean;
  /** Bytes; 0 = unlimited. */
  Memory: number;
  /** CPUs × 1e9; 0 = unlimited. */
  NanoCpus: number;
  /** 0 or negative = unlimited (docker's null/-1). */
  PidsLimit: number;
  /** `none`, `host`, `bridge` (the default with networking), `container:<id|name>` or a user network's name. */
  NetworkMode: string;
  Privileged: boolean;
  PortBindings?: PortBindings;
  PublishAllPorts?: boolean;
  Dns?: string[];
  DnsSearch?: string[];
  DnsOptions?: string[];
  /** `host:ip` entries added to /etc/hosts. */
  ExtraHosts?: string[] | null;
}

/** docker's `NetworkSettings` (the parts clients read). */
export interface NetworkSettings {
  Bridge: string;
  SandboxKey: string;
  Ports: PortMap;
  /** The first network's address, gateway and MAC (docker's deprecated top-level fields, still read by tools). */
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  MacAddress: string;
  Networks: Record<string, EndpointSettings>;
}

export interface MountPoint {
  Type: 'bind';
  Source: string;
  Destination: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

/** Persisted as `<root>/containers/<id>/config.v2.json`. */
export interface ContainerRecord {
  Id: string;
  /** With docker's leading slash: `/name`. */
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  /** The image id (config digest). */
  Image: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  RestartCount: number;
  Driver: string;
  Platform: 'linux';
  Config: ContainerConfig;
  HostConfig: HostConfig;
  Mounts: MountPoint[];
  GraphDriver: { Name: string; Data: Record<string, string> };
  NetworkSettings?: NetworkSettings;
  /** c's own bookkeeping, not part of docker's shape. */
  C: {
    /** The active snapshot's key (the container's writable rootfs). */
    snapshotKey: string;
    /** The committed ChainID the snapshot is based on (undefined for an image without layers). */
    parentChainId?: string;
    /** True once `stop`/`kill` by the user ended the container: restart policies (except always after a restart of the engine) leave it alone. */
    manuallyStopped: boolean;
    /** Host pid of the init while the container runs (Pid is the same; kept for the start-time check). */
    initStartTime?: string;
    /** Networks to connect at start, beyond NetworkMode's (from `network connect` while stopped), with their options. */
    networks?: Record<string, EndpointRequest>;
  };
}

/** How a container is attached to one network: docker's EndpointsConfig entry, reduced to what c supports. */
export interface EndpointRequest {
  aliases?: string[];
  ipv4Address?: string;
}

/** docker-run-like options for `create`. */
export interface CreateContainerOptions {
  /** Image reference or id (prefix). */
  image: string;
  name?: string;
  cmd?: string[];
  entrypoint?: string[];
  /** `KEY=value` (or `KEY` to drop it? no: docker keeps `KEY` from the host; c takes entries as given). */
  env?: string[];
  workingDir?: string;
  user?: string;
  hostname?: string;
  domainname?: string;
  tty?: boolean;
  openStdin?: boolean;
  /** docker's StdinOnce: an attached client ending its stdin closes the container's stdin. */
  stdinOnce?: boolean;
  /** `host:container[:ro|rw]`. */
  binds?: string[];
  /** Bytes. */
  memory?: number;
  cpus?: number;
  pidsLimit?: number;
  readOnly?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  /** `no`, `on-failure[:N]`, `always`, `unless-stopped`. */
  restartPolicy?: string;
  autoRemove?: boolean;
  labels?: Record<string, string>;
  stopSignal?: string;
  stopTimeout?: number;
  healthcheck?: HealthConfig;
  logMaxSize?: string;
  logMaxFile?: string;
  /** `--network`: none | host | bridge | container:<id|name> | a network name (default bridge, or none without networking). */
  networkMode?: string;
  /** `-p`: docker's PortBindings (the CLI turns `-p` values into it). */
  portBindings?: PortBindings;
  /** `-P`: publish every exposed port on a random host port. */
  publishAllPorts?: boolean;
  /** `--expose` and the ports of `-p`: added to the image's ExposedPorts ("80/tcp"). */
  exposedPorts?: string[];
  /** EndpointsConfig[network]: `--network-alias`, `--ip`. */
  endpoints?: Record<string, EndpointRequest>;
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** `--add-host host:ip`. */
  extraHosts?: string[];
}

/** What a container summary in `list` looks like (docker's `ps` JSON). */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  State: ContainerStatus;
  Status: string;
  Labels: Record<string, string>;
  Mounts: MountPoint[];
  /** Published (and exposed) ports of a running container. */
  Ports?: PortRow[];
}

/** One entry of docker ps's `Ports`. */
export interface PortRow {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: 'tcp' | 'udp' | 'sctp';
}

export interface WaitResult {
  StatusCode: number;
  Error?: { Message: string };
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';
