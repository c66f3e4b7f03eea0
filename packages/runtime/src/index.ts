// @c/runtime: an OCI runtime (runc-compatible) in TypeScript. The CLI is `c-runtime` (src/c-runtime.ts).
export type {
  Spec,
  SpecProcess,
  SpecRoot,
  SpecMount,
  SpecUser,
  SpecCapabilities,
  SpecRlimit,
  SpecLinux,
  SpecNamespace,
  SpecResources,
  SpecDevice,
  NamespaceType as SpecNamespaceType,
} from './spec/types';
export { defaultSpec, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, OCI_VERSION, type DefaultSpecOptions } from './spec/default-spec';
export { validateSpec, validateProcess, ROOTFS_MOUNT_ANNOTATION, type ValidatedSpec } from './spec/validate';
export {
  DOCKER_DEFAULT_CAPABILITIES,
  capabilityMask,
  resolveCapabilities,
  type CapabilityMasks,
  type ResolvedCapabilities,
} from './spec/capabilities';
export { planRlimits, type PlannedRlimit, type RlimitPlan, type RlimitPolicy } from './spec/rlimits';
export { features } from './spec/features';
export { parseMountOptions, type ParsedMountOptions } from './init/mount-options';
export { secureJoin } from './init/secure-join';
export { setupRootfs, withDefaultMounts, DEFAULT_MOUNTS, DEFAULT_DEVICES, type RootfsConfig, type PathKind } from './init/rootfs';
export { applyIdentity, applyRlimits, type ProcessIdentity } from './init/process-setup';
export { lookPath } from './init/lookpath';
export type { InitConfig, InitReport } from './init/protocol';
export { planInit, type HostFacts, type PlannedInit } from './container/init-config';
export { StateStore, DEFAULT_STATE_ROOT, validateId, type ContainerRecord, type ContainerStatus, type OciState } from './container/state';
export { createContainer, type CreateRequest, type CreatedContainer } from './container/create';
export { InitProcess } from './container/init-process';
export { runDirect, directRunBlocker, type DirectRunRequest, type DirectCreated } from './container/run-direct';
export { BuildThreads, type BuildThreadsOptions } from './container/build-threads';
export type { InitChild, SpawnStdio } from './container/spawned-process';
export { warmOwnCgroupMigration } from './container/warm-migration';
export {
  startContainer,
  stateOf,
  killContainer,
  deleteContainer,
  pauseContainer,
  listContainers,
  containerPids,
  parseSignal,
  type Lifecycle,
} from './container/lifecycle';
export { execInContainer, type ExecRequest, type ExecHandle } from './container/exec';
export { cgroupsPathFor, type ContainerCgroups, type CgroupsFactory } from './container/cgroups-port';
export { defaultCgroupsFactory } from './container/cgroups-adapter';
export { sendFd, receiveFd, connectUnixSocket } from './console/send-fd';
export { main as runCli, VERSION } from './cli/main';
export {
  defaultInitScript,
  defaultCliScript,
  defaultBuildWorkerScript,
  resolveRuntimeFile,
  runtimeFileCandidates,
  type RuntimeFile,
  type ResolveOptions as RuntimeFileOptions,
} from './paths/runtime-files';
