export type { ApplyTarget, DiffSource, Mount, SnapshotDriver, SnapshotInfo, SnapshotKind, SnapshotOptions, Snapshotter, Usage } from './types';
export { OverlaySnapshotter, MOUNT_DATA_LIMIT } from './overlay';
export { CopySnapshotter } from './copy';
export { createSnapshotter, probeDriver, type CreateSnapshotterOptions } from './create';
export { diskUsage } from './disk-usage';
export { unpackImage, removeAbandonedUnpacks, WORKER_APPLY_FROM, DEFAULT_PARALLEL_LAYERS, type UnpackImageInput, type UnpackResult, type OpenBlob, type UnpackOptions, type UnpackLayerEvent } from './unpack';
export { SNAPSHOT_SIZE_LABEL } from './labels';
