import { ContainerService, createImageService, storeImagePort, type ContainerServiceOptions, type NetworkService } from '@c/engine';
import { ContentStore, ImageStore, storeLayout } from '@c/layers';
import type { ImagesBackend } from './backends';
import type { ContainersBackend } from './containers/backend';

/** The engine's image service over the store under `root`: the daemon's only source of image state. */
export function createEngineImagesBackend(root: string, containers?: { settled(): Promise<void> }): ImagesBackend {
  // ImageService satisfies ImagesBackend structurally; the assignment is the compile-time check of that contract.
  // Like dockerd, the daemon keeps no registry credentials: each pull/push uses its own X-Registry-Auth. GC waits for
  // removed containers' rootfs deletions, which run just after their records go.
  const service: ImagesBackend = createImageService({ root, savedCredentials: false, ...(containers ? { beforeCollect: () => containers.settled() } : {}) });
  return service;
}

/**
 * The engine's container service over the same root: loads every container record and adopts the ones still
 * running (see @c/engine's restore). `initPool` keeps booted inits ready for starts (decision 0013); `buildThreads`
 * build starting containers off the event loop (decision 0016). `close()` stops
 * its timers and kills the idle pooled inits; the containers keep running.
 */
export async function openEngineContainersBackend(
  root: string,
  network?: NetworkService,
  initPool?: ContainerServiceOptions['initPool'],
  buildThreads?: ContainerServiceOptions['buildThreads'],
): Promise<ContainersBackend & Pick<ContainerService, 'connectNetwork' | 'disconnectNetwork'> & { close(): void; settled(): Promise<void> }> {
  const layout = storeLayout(root);
  const content = new ContentStore(layout.content);
  const images = new ImageStore(layout.images);
  const service: ContainerService = await ContainerService.open({
    root,
    images: storeImagePort(content, images),
    stores: { content, images },
    ...(network ? { network, events: network.events } : {}),
    ...(initPool ? { initPool } : {}),
    ...(buildThreads ? { buildThreads } : {}),
  });
  return service;
}
