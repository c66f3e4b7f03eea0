export { ImageStore } from './image-store';
export type { ImageMatch, ImageStoreOptions, ImageStoreSnapshot, LeaseOptions, PutOptions } from './image-store';
export type { ImageRecord, Lease, NewImageRecord } from './records';
export { imageIdOf } from './records';
export { DEFAULT_C_ROOT, storeLayout } from './layout';
export type { StoreLayout } from './layout';
