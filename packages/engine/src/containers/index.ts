export { statusText, summaryOf } from './summary';
export { ContainerService, EXIT_CODE_UNKNOWN, type Attachment, type ContainerServiceOptions, type StartOptions } from './service';
export { EventBus, type EngineEvent, type EventListener } from './events';
export { storeImagePort, type ContainerImage, type ImagePort } from './image-port';
export { mergeConfig, mergeEnv, hostConfigOf, commandOf, DEFAULT_PATH } from './config';
export { buildSpec, applyCapabilityEdits, type SpecInputs } from './spec';
export { parseBinds } from './binds';
export { parseRestartPolicy, shouldRestart, nextBackoff, BACKOFF_START_MS, BACKOFF_MAX_MS, BACKOFF_RESET_AFTER_MS } from './restart-policy';
export { matchesFilters, validateFilters, type ContainerFilters } from './filters';
export { canonicalName, generateName, newContainerId } from './names';
export { resolveUser, type ResolvedUser } from './user';
export {
  JsonFileLogWriter,
  readJsonLog,
  parseByteSize,
  rfc3339Nano,
  DEFAULT_LOG_MAX_SIZE,
  DEFAULT_LOG_MAX_FILE,
  type LogEntry,
  type LogStream,
  type ReadLogOptions,
  type JsonLogOptions,
} from './json-log';
export type * from './types';
export { ExecManager, type ExecCreateOptions, type ExecInspect, type ExecStream } from './exec';
export { Introspector, type ArchiveStat, type Change, type ContainerStats, type TopResult } from './introspect';
export { commitContainer, type CommitOptions, type CommitResult, type CommitStores } from './commit';
export { HealthChecker, applyProbe, healthCommand, healthTiming, HEALTH_DEFAULTS, type HealthTiming, type ProbeOutcome } from './health';
export { createContainerService, type CreateContainerServiceOptions } from './create-service';
export { checkTtySize, setTtySize, setProcessTtySize, type TtySize } from './tty-size';
export { ContainerSizer, type ContainerSizes } from './sizes';
