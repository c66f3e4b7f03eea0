export { ContentStore } from './content-store';
export type {
  AbortIngestOptions,
  BlobInfo,
  ContentStoreOptions,
  ImportStreamOptions,
  IngestOptions,
  IngestStatus,
  ReadBlobOptions,
  StoredBlob,
} from './content-store';
export { ContentLayout, isIngestRef } from './layout';
export { isBlobDigest, parseBlobDigest } from './digest';
export type { BlobDigestAlgorithm, BlobDigestParts } from './digest';
export { copyIn } from './copy-in';
export type { CopyInResult, FetchedRange, FetchFrom } from './copy-in';
