/**
 * Docker's `image inspect` document, built from an image's config and manifest. Field names and the empty
 * defaults follow docker's API (ImageInspect), so tools that read `docker image inspect` output read ours.
 */
import type { ImageConfig } from '@c/image';
import type { ManifestDocument } from './documents';

/** Docker's container-config shape with its capitalised keys, as `Config` in image inspect. */
export interface DockerContainerConfig {
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
  Env: string[] | null;
  Cmd: string[] | null;
  Healthcheck?: unknown;
  Image: string;
  Volumes: Record<string, Record<string, never>> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string> | null;
  StopSignal?: string;
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: DockerContainerConfig;
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

interface RawConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Cmd?: string[];
  Healthcheck?: unknown;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Entrypoint?: string[];
  OnBuild?: string[];
  Labels?: Record<string, string>;
  StopSignal?: string;
}

export function dockerContainerConfig(config: RawConfig | undefined): DockerContainerConfig {
  const c = config ?? {};
  const result: DockerContainerConfig = {
    Hostname: '',
    Domainname: '',
    User: c.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: c.Env ?? null,
    Cmd: c.Cmd ?? null,
    Image: '',
    Volumes: c.Volumes ?? null,
    WorkingDir: c.WorkingDir ?? '',
    Entrypoint: c.Entrypoint ?? null,
    OnBuild: c.OnBuild ?? null,
    Labels: c.Labels ?? null,
  };
  // Optional keys appear only when set, as in docker's output.
  if (c.ExposedPorts) result.ExposedPorts = c.ExposedPorts;
  if (c.Healthcheck) result.Healthcheck = c.Healthcheck;
  if (c.StopSignal) result.StopSignal = c.StopSignal;
  return result;
}

export interface InspectInput {
  configDigest: string;
  config: ImageConfig;
  manifest: ManifestDocument;
  repoTags: string[];
  repoDigests: string[];
  lastTagTime: string;
}

export function buildInspect(input: InspectInput): ImageInspect {
  const config = input.config as ImageConfig & { comment?: string; author?: string; created?: string; variant?: string };
  const history = (config.history ?? []) as { comment?: string }[];
  const inspect: ImageInspect = {
    Id: input.configDigest,
    RepoTags: input.repoTags,
    RepoDigests: input.repoDigests,
    Parent: '',
    Comment: config.comment ?? history[history.length - 1]?.comment ?? '',
    Created: config.created ?? '',
    DockerVersion: '',
    Author: config.author ?? '',
    Config: dockerContainerConfig(config.config as RawConfig | undefined),
    Architecture: config.architecture,
    ...(config.variant ? { Variant: config.variant } : {}),
    Os: config.os,
    Size: imageSize(input.manifest),
    RootFS: { Type: config.rootfs?.type ?? 'layers', Layers: [...(config.rootfs?.diff_ids ?? [])] },
    Metadata: { LastTagTime: input.lastTagTime },
  };
  return inspect;
}

/**
 * An image's size: the sum of its layers' compressed sizes, i.e. what the content store holds for it and what
 * a registry reports. (Docker's classic store reports the unpacked size instead; c reports that once layers are
 * unpacked into snapshots.)
 */
export function imageSize(manifest: ManifestDocument): number {
  return manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
}
