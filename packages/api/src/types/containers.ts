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
