/** Image shapes of the Docker Engine API (PascalCase, as Docker sends them). */

/** One row of `GET /images/json`. */
export interface ImageSummary {
  /** `sha256:<hex>` of the image config (the image ID). */
  Id: string;
  ParentId: string;
  /** `repo:tag` names; empty for an untagged image. */
  RepoTags: string[];
  /** `repo@sha256:<manifest digest>` names. */
  RepoDigests: string[];
  /** Creation time in seconds since the epoch. */
  Created: number;
  /** Bytes the image takes (its layers), as Docker reports it. */
  Size: number;
  /** -1 when not computed, as Docker does without `shared-size=1`. */
  SharedSize: number;
  /** Removed in API 1.44, still read by older clients. */
  VirtualSize?: number;
  Labels: Record<string, string> | null;
  /** -1 when not computed. */
  Containers: number;
}

/** The container configuration embedded in an image (`Config` of `docker inspect IMAGE`). */
export interface ImageContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, Record<string, never>> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number };
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, Record<string, never>> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Shell?: string[];
}

/** `GET /images/{name}/json`. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  /** RFC 3339 creation time. */
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: ImageContainerConfig | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  VirtualSize?: number;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime?: string };
}

/** One entry of `GET /images/{name}/history`. */
export interface ImageHistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** One entry of the `DELETE /images/{name}` response: each names what happened to one reference or image. */
export type ImageDeleteResponseItem = { Untagged: string } | { Deleted: string };

/** The `aux` payload of the last push message. */
export interface PushResultAux {
  Tag: string;
  Digest: string;
  Size: number;
}
