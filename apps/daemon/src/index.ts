export { DEFAULT_ROOT, DEFAULT_SOCKET, USAGE, parseDaemonArgs, parseHost, resolveGroup, type DaemonConfig } from './args';
export type {
  BackendImportOptions,
  BackendImportResult,
  BackendPullOptions,
  BackendPullResult,
  BackendPushOptions,
  BackendPushResult,
  DaemonFacts,
  ImageInspectDocument,
  ImageRow,
  ImagesBackend,
  RemovedItem,
  TransferEvent,
} from './backends';
export { startDaemon, type RunningDaemon, type StartDaemonOptions } from './daemon';
export { createEngineImagesBackend } from './engine-backend';
export { errorResponse, statusForCode } from './http-status';
export { createApiHandler, type ApiHandler, type ApiHandlerOptions } from './http/api-handler';
export {
  Router,
  type Handler,
  type HttpMethod,
  type RawStream,
  type RawStreamContentType,
  type RequestContext,
  type Route,
  type StreamContext,
  type StreamHandler,
} from './http/router';
export { closeServer, createDaemonServer, createHttpServer, createRouter, listenUnix, type DaemonServices } from './server';
export { PullProgressWriter, PushProgressWriter } from './images/progress';
export { readHostFacts, type HostFacts } from './system/host';
