/** Container shapes of the Docker Engine API that can be typed before the container runtime lands. */

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** A published or exposed port of `GET /containers/json`. */
export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: 'tcp' | 'udp' | 'sctp';
}

/** One row of `GET /containers/json`. */
export interface ContainerSummary {
  Id: string;
  /** Names with a leading slash, as Docker reports them (`/happy_turing`). */
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  /** Seconds since the epoch. */
  Created: number;
  Ports: PortSummary[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string>;
  State: ContainerStatus;
  /** Human text: `Up 3 minutes`, `Exited (0) 2 seconds ago`. */
  Status: string;
  HostConfig: { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, unknown> };
  Mounts: ContainerMountPoint[];
}

export interface ContainerMountPoint {
  Type: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

/** `State` of `GET /containers/{id}/json`. */
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
  /** RFC 3339; `0001-01-01T00:00:00Z` when never started, as Docker does. */
  StartedAt: string;
  FinishedAt: string;
}

/** The part of `GET /containers/{id}/json` that clients read most (testcontainers, compose, the CLI). */
export interface ContainerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  Image: string;
  Name: string;
  RestartCount: number;
  Driver: string;
  Platform: string;
  Config: {
    Hostname: string;
    User: string;
    Env: string[] | null;
    Cmd: string[] | null;
    Entrypoint: string[] | null;
    Image: string;
    WorkingDir: string;
    Labels: Record<string, string> | null;
    Tty: boolean;
    OpenStdin: boolean;
    StdinOnce: boolean;
    AttachStdin: boolean;
    AttachStdout: boolean;
    AttachStderr: boolean;
  };
  HostConfig: Record<string, unknown>;
  Mounts: ContainerMountPoint[];
  NetworkSettings: Record<string, unknown>;
}

/** `POST /containers/{id}/wait` response. */
export interface ContainerWaitResponse {
  StatusCode: number;
  Error?: { Message: string } | null;
}

/** `POST /containers/create` body (the fields c reads; docker's full ContainerCreateRequest is accepted). */
export interface ContainerCreateRequest {
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[] | null;
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  Domainname?: string;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number };
  StopSignal?: string;
  StopTimeout?: number;
  HostConfig?: {
    Binds?: string[];
    Memory?: number;
    NanoCpus?: number;
    CpuShares?: number;
    CpuQuota?: number;
    CpuPeriod?: number;
    PidsLimit?: number;
    ReadonlyRootfs?: boolean;
    CapAdd?: string[];
    CapDrop?: string[];
    RestartPolicy?: { Name: '' | 'no' | 'always' | 'on-failure' | 'unless-stopped'; MaximumRetryCount?: number };
    AutoRemove?: boolean;
    NetworkMode?: string;
    PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }>>;
    PublishAllPorts?: boolean;
    Dns?: string[];
    DnsSearch?: string[];
    DnsOptions?: string[];
    ExtraHosts?: string[];
    LogConfig?: { Type: string; Config?: Record<string, string> };
    Privileged?: boolean;
    Init?: boolean;
  };
  NetworkingConfig?: { EndpointsConfig?: Record<string, { Aliases?: string[]; IPAMConfig?: { IPv4Address?: string } }> };
}

export interface ContainerCreateResponse {
  Id: string;
  Warnings: string[];
}

/** `GET /containers/{id}/top`. */
export interface ContainerTopResponse {
  Titles: string[];
  Processes: string[][];
}

/** `GET /containers/{id}/changes`: Kind 0 modified, 1 added, 2 deleted. */
export interface ContainerChange {
  Path: string;
  Kind: 0 | 1 | 2;
}

/** `X-Docker-Container-Path-Stat` of `GET|HEAD /containers/{id}/archive` (base64 JSON). */
export interface ContainerPathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** `GET /containers/{id}/stats`, the parts `docker stats` reads. */
export interface ContainerStatsResponse {
  read: string;
  preread: string;
  name: string;
  id: string;
  pids_stats: { current?: number; limit?: number };
  cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number; online_cpus?: number };
  memory_stats: { usage?: number; max_usage?: number; limit?: number; stats?: Record<string, number> };
}

export interface ContainerPruneResponse {
  ContainersDeleted: string[] | null;
  SpaceReclaimed: number;
}

/** `POST /containers/{id}/exec` body. */
export interface ExecCreateRequest {
  Cmd: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Tty?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
}

/** `GET /exec/{id}/json`. */
export interface ExecInspectResponse {
  ID: string;
  ContainerID: string;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  OpenStdin: boolean;
  OpenStdout: boolean;
  OpenStderr: boolean;
  ProcessConfig: { entrypoint: string; arguments: string[]; tty: boolean; user: string; privileged: boolean };
}

/** One line of `GET /events`. */
export interface EventMessage {
  Type: 'container' | 'image' | 'network' | 'volume' | string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: string;
  time: number;
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
}

/** One type's totals in `GET /system/df`, as docker's API 1.52 adds them (`ImagesDiskUsage`, …). */
export interface DiskUsageTotals {
  ActiveCount: number;
  TotalCount: number;
  /** Bytes pruning that type would free. */
  Reclaimable: number;
  TotalSize: number;
}

/** `GET /system/df`. */
export interface SystemDfResponse {
  LayersSize: number;
  Images: unknown[];
  Containers: ContainerSummary[];
  Volumes: unknown[];
  BuildCache: unknown[];
  /** Absent from older daemons: clients then derive the totals from the rows, as docker's CLI does. */
  ImagesDiskUsage?: DiskUsageTotals;
  ContainersDiskUsage?: DiskUsageTotals;
}

/**
 * c's own endpoints (not Docker's): `docker run` in one exchange. `POST /c/run?name=` takes a create body, creates
 * and starts the container, and answers 201 with this (`StartError` when the start failed: the container was
 * created; with AutoRemove it is removed again). A create failure is the HTTP error `POST /containers/create` gives.
 */
export interface RunDetachedResponse extends ContainerCreateResponse {
  StartError?: RunStartError;
}

/** Why a start failed: the daemon's message and the HTTP status it would have answered `POST …/start` with. */
export interface RunStartError {
  message: string;
  status: number;
}

/**
 * `POST /c/run/stream?name=&stdin=&condition=` (hijacked, `Upgrade: tcp`; create body as the request's JSON prefix):
 * create, attach, wait and start in one exchange. A create failure is an HTTP error; after the 101 the stream is
 * always multiplexed (a TTY's output too, as stdout frames), and frames of stream 3 carry one JSON control message
 * each: `RunStreamStarted` once the start is done (or failed: then the stream ends without an exit status; output
 * frames may come before it, as the container runs from its start), `RunStreamExited` after the container's output
 * (`StatusCode: -1` when the wait itself failed), then the end of the stream. `condition=removed` needs
 * `HostConfig.AutoRemove` (400 otherwise, before anything is created); `not-running` is a 400. What the client writes
 * is the container's stdin (`stdin=1` and `OpenStdin`); half-close ends it.
 */
export interface RunStreamStarted {
  Id: string;
  Warnings: string[];
  StartError?: RunStartError;
}
/** The `wait` result for `condition` (next-exit, or removed for an AutoRemove container). */
export type RunStreamExited = ContainerWaitResponse;
export type RunStreamControl = RunStreamStarted | RunStreamExited;
