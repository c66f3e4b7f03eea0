/** `GET /version` and `GET /info` bodies, in the field names the docker CLI reads (PascalCase, as Docker sends them). */

/** One component of the server (Docker lists Engine, containerd, runc...). */
export interface ComponentVersion {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

/** `GET /version`. */
export interface VersionResponse {
  Platform: { Name: string };
  Components: ComponentVersion[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  GitCommit: string;
  /** Docker reports its Go version here; c reports the Node.js version. */
  GoVersion: string;
  Os: string;
  /** GOARCH naming: amd64, arm64... */
  Arch: string;
  KernelVersion: string;
  Experimental?: boolean;
  BuildTime: string;
}

/** The Swarm section of `GET /info`; c has no swarm mode, so it always reports `inactive`. */
export interface SwarmInfo {
  NodeID: string;
  NodeAddr: string;
  LocalNodeState: 'inactive' | 'pending' | 'active' | 'error' | 'locked';
  ControlAvailable: boolean;
  Error: string;
  RemoteManagers: null | Array<{ NodeID: string; Addr: string }>;
}

/** Registry settings the daemon applies (insecure ranges, mirrors). */
export interface RegistryServiceConfig {
  AllowNondistributableArtifactsCIDRs?: string[];
  AllowNondistributableArtifactsHostnames?: string[];
  InsecureRegistryCIDRs: string[];
  IndexConfigs: Record<string, { Name: string; Mirrors: string[]; Secure: boolean; Official: boolean }>;
  Mirrors: string[];
}

/** `GET /info`: the fields `docker info` prints. */
export interface InfoResponse {
  ID: string;
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  Driver: string;
  DriverStatus: Array<[string, string]>;
  Plugins: { Volume: string[]; Network: string[]; Authorization: string[] | null; Log: string[] };
  MemoryLimit: boolean;
  SwapLimit: boolean;
  CpuCfsPeriod: boolean;
  CpuCfsQuota: boolean;
  CPUShares: boolean;
  CPUSet: boolean;
  PidsLimit: boolean;
  IPv4Forwarding: boolean;
  Debug: boolean;
  NFd: number;
  OomKillDisable: boolean;
  NGoroutines: number;
  SystemTime: string;
  LoggingDriver: string;
  CgroupDriver: 'cgroupfs' | 'systemd' | 'none';
  CgroupVersion: '1' | '2';
  NEventsListener: number;
  KernelVersion: string;
  OperatingSystem: string;
  OSVersion: string;
  OSType: 'linux';
  Architecture: string;
  IndexServerAddress: string;
  RegistryConfig: RegistryServiceConfig;
  NCPU: number;
  MemTotal: number;
  DockerRootDir: string;
  HttpProxy: string;
  HttpsProxy: string;
  NoProxy: string;
  Name: string;
  Labels: string[];
  ExperimentalBuild: boolean;
  ServerVersion: string;
  Runtimes: Record<string, { path: string; runtimeArgs?: string[] }>;
  DefaultRuntime: string;
  Swarm: SwarmInfo;
  LiveRestoreEnabled: boolean;
  Isolation: string;
  InitBinary: string;
  SecurityOptions: string[];
  Warnings: string[] | null;
}

/** Headers of `GET|HEAD /_ping`, as the client reads them. */
export interface PingResult {
  apiVersion: string;
  osType: string;
  experimental: boolean;
  builderVersion: string | undefined;
}

/** `POST /auth` request body (the fields of `docker login`). */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** An identity token from an earlier login, used instead of a password. */
  identitytoken?: string;
  /** A bearer token for the registry, used as is. */
  registrytoken?: string;
  serveraddress?: string;
  /** Deprecated by Docker, still sent by old clients. */
  email?: string;
  auth?: string;
}

/** `POST /auth` response. */
export interface AuthResponse {
  Status: string;
  IdentityToken?: string;
}

/** The body of every error response. */
export interface ErrorResponse {
  message: string;
}
