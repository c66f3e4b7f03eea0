/**
 * @c/image: the image model. References, digests, media types, manifest/index/config documents and their
 * validation, platform matching, ChainIDs and canonical serialization. Pure: no I/O beyond what it is handed.
 */
export type { BlobIngest, BlobSink, BlobSource, BlobStore, Digest } from './content';
export * from './digest';
export * from './verify-stream';
export * from './reference';
export * from './media-types';
export type * from './types';
export {
  MAX_MANIFEST_SIZE,
  parseManifest,
  checkManifest,
  checkIndex,
  validateDescriptor,
  validatePlatform,
} from './manifest';
export { MAX_CONFIG_SIZE, parseImageConfig, checkImageConfig, checkConfigMatchesManifest } from './config';
export { MAX_MAP_ENTRIES } from './json-check';
export * from './platform';
export * from './chain-id';
export * from './canonical';
export * from './build';
export * from './resolve';
