/**
 * @c/engine: the state and operations behind the CLI and the daemon. For now: images.
 */
export { ImageService, normalizeRegistryHost, type ImageServiceParts } from './images/image-service';
export { createImageService, DEFAULT_ROOT, type CreateImageServiceOptions } from './images/create';
export type {
  ContentPort,
  CredentialWriterPort,
  ImageRecord,
  ImageRecordPort,
  PulledImagePort,
  RegistryPort,
  TransferProgress,
  ByteSource,
} from './images/ports';
export type {
  ImageSummary,
  ImageInspect,
  ImportOptions,
  ImportResult,
  PullOptions,
  PullResult,
  PushOptions,
  PushResult,
  RemoveResultItem,
  TransferEvent,
} from './images/types';
export type { DockerContainerConfig } from './images/inspect';
export { applyChanges, type ConfigEdits } from './images/changes';
export * from './containers/index';
