export * from './content/index';
export * from './metadata/index';
export * from './archive/index';
export * from './snapshots/index';
export * from './gc/index';
export { writeFileAtomic, writeFileAtomicSync, readJsonFile, withFileLock } from './util/atomic';
