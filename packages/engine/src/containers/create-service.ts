/** Wires a ContainerService to the real store under a root (default /var/lib/c), like createImageService. */
import { ContentStore, ImageStore, storeLayout } from '@c/layers';
import type { EventBus } from './events';
import type { NetworkService } from '../networks/service';
import { storeImagePort } from './image-port';
import { ContainerService, type ContainerServiceOptions } from './service';

export interface CreateContainerServiceOptions {
  /** The store root; default `$C_ROOT` or `/var/lib/c`. */
  root?: string;
  /** Share one bus with the image service so `events` shows both. */
  events?: EventBus;
  /** Container networking (`NetworkService.open({ root, events })`); without it containers default to `none`. */
  network?: NetworkService;
  /** The warm pool of pre-started inits (default: none). */
  initPool?: ContainerServiceOptions['initPool'];
  /** Start containers without a Node init where the runtime can (default true). */
  directStart?: boolean;
  /** Worker threads that build direct starts (default: none, they build on the event loop). */
  buildThreads?: ContainerServiceOptions['buildThreads'];
}

export function createContainerService(options: CreateContainerServiceOptions = {}): Promise<ContainerService> {
  const layout = storeLayout(options.root);
  const content = new ContentStore(layout.content);
  const images = new ImageStore(layout.images);
  return ContainerService.open({
    root: layout.root,
    images: storeImagePort(content, images),
    stores: { content, images },
    ...(options.events ? { events: options.events } : {}),
    ...(options.network ? { network: options.network } : {}),
    ...(options.initPool ? { initPool: options.initPool } : {}),
    ...(options.directStart !== undefined ? { directStart: options.directStart } : {}),
    ...(options.buildThreads ? { buildThreads: options.buildThreads } : {}),
  });
}
