export { NetworkService, kernelNamesFor, DEFAULT_ENGINE_ROOT, type NetworkServiceOptions } from './service';
export { portMappingsOf, type PortBindings } from './ports';
export type { NetworkInspect, EndpointSettings, PortMap } from '@c/network';
export { collectOrphans, registerRoot, ROOT_REGISTRY, type RootEntry } from './orphans';
