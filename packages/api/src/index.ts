export { API_VERSION, MIN_API_VERSION, checkApiVersion, compareApiVersions, parseApiVersion, splitVersionedPath } from './version';
export type { ApiVersion, ApiVersionRange, VersionedPath } from './version';
export {
  DEFAULT_MAX_FRAME_SIZE,
  FRAME_HEADER_SIZE,
  FrameDecoder,
  STDERR,
  STDIN,
  STDOUT,
  SYSTEMERR,
  demultiplex,
  encodeFrame,
} from './frames';
export type { Frame, StreamId } from './frames';
export {
  DEFAULT_MAX_LINE_LENGTH,
  NdjsonDecoder,
  encodeJsonLine,
  humanSize,
  isProgressMessage,
  parseNdjson,
  progressError,
  progressErrorMessage,
  renderProgressBar,
} from './ndjson';
export { MAX_FILTERS_LENGTH, checkFilterKeys, encodeFilters, globMatch, parseFilters } from './filters';
export type { Filters } from './filters';
export { MAX_REGISTRY_AUTH_LENGTH, decodeRegistryAuth, encodeRegistryAuth, parseAuthConfig } from './auth';
export { DEFAULT_SOCKET_PATH, EngineClient } from './client/engine-client';
export type { EngineClientOptions, ImagesApi, PullOptions, PushOptions, RemoveImageOptions } from './client/engine-client';
export { errorCodeForStatus } from './client/status';
export { stdioFrames } from './client/containers-api';
export type { AttachOptions, ContainersApi, EventsOptions, ExecApi, LogsOptions } from './client/containers-api';
export type { HijackedStream } from './client/transport';
export type { ApiResponse } from './client/http1';
export { HttpProtocolError, MAX_RESPONSE_HEAD_BYTES, buildPath, headerValue, parseResponseHead, serializeRequestHead } from './client/http1-head';
export type { ResponseHeaders } from './client/http1-head';
export type { NetworksApi, NetworkResource, NetworkCreateRequest, NetworkConnectRequest } from './client/networks-api';
export type * from './types/system';
export type * from './types/images';
export type * from './types/containers';
export type * from './types/progress';
