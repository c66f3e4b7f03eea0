/** Image operations (`@c/engine/images`): everything the image commands need, without the container side. */
export { ImageService, normalizeRegistryHost, type ImageServiceParts } from './image-service';
export { createImageService, DEFAULT_ROOT, type CreateImageServiceOptions } from './create';
export type {
  ContentPort,
  CredentialWriterPort,
  ImageRecord,
  ImageRecordPort,
  PulledImagePort,
  RegistryPort,
  CallCredentialStore,
  RegistryCallCredentials,
  TransferProgress,
  ByteSource,
} from './ports';
export type {
  ImageSummary,
  ImageInspect,
  ImportOptions,
  ImportResult,
  PullOptions,
  PullResult,
  PushOptions,
  PushResult,
  RegistryAuth,
  RemoveResultItem,
  TransferEvent,
  DiskUsage,
  ImageDiskUsage,
  ContainerDiskUsage,
  PruneResult,
  MountResult,
} from './types';
export { unpackLayers, type UnpackableImage, type UnpackStepOptions } from './unpack';
export { IMAGE_ID_LABEL } from './storage';
export type { GarbagePort, MountPort } from './ports';
export type { DockerContainerConfig } from './inspect';
export { applyChanges, type ConfigEdits } from './changes';
export { saveArchive, archiveDocuments, type SaveItem, type ArchiveManifestEntry } from './archive-save';
export { ExtractedArchive, loadArchive, type LoadResult, type LoadedArchiveImage } from './archive-load';
export { UNTAGGED_REPOSITORY, untaggedRecordName, isUntaggedRepository } from './untagged';
