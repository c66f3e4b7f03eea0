export { RegistryClient, type RegistryClientOptions } from './client';
export {
  DockerConfigCredentials,
  StaticCredentials,
  DOCKER_HUB_CONFIG_KEY,
  configKeyFor,
  normalizeRegistryKey,
  type CredentialStore,
  type RegistryCredentials,
  type DockerConfigOptions,
} from './credentials';
export { parseWwwAuthenticate, type AuthChallenge } from './challenge';
export { parseErrorBody, type RegistryErrorEntry } from './errors';
export type { ResolvedManifest, FetchedManifest, ManifestLocation } from './manifests';
export type { BlobProgress, FetchBlobOptions, FetchBlobResult } from './blobs';
export type { PullOptions, PullProgress, PullStatus, PulledImage } from './pull';
export type { PushOptions, PushProgress, PushStatus, UploadMethod } from './push';
export { parseRetryAfter } from './retry';
