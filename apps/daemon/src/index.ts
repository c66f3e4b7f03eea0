export { DEFAULT_ROOT, DEFAULT_SOCKET, USAGE, parseDaemonArgs, parseHost, resolveGroup, type DaemonConfig } from './args';
export type {
  BackendDiskUsage,
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
export { createEngineImagesBackend, openEngineContainersBackend } from './engine-backend';
export type { ContainerStdio, ContainersBackend, EventsBackend, ExecBackend } from './containers/backend';
export { parseCreateRequest, type CreateRequest } from './containers/create-body';
export { inspectDocument, statsDocument, summaryRow, systemCpuUsage, execDocument, type StatsSample } from './containers/shapes';
export { PendingAttachments, outputWriter, sinkWritable, stdioFor, type Attachment } from './containers/stdio';
export { containerRoutes, type ContainerRouteOptions } from './routes/containers';
export { execRoutes } from './routes/exec';
export { eventRoutes, eventMatches } from './routes/events';
export { diskUsageRoutes } from './routes/df';
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
