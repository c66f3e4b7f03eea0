/**
 * Wires an ImageService to the real store under a root directory (default /var/lib/c) and the real registry
 * client with docker's credentials file.
 */
import { join } from 'node:path';
import {
  ContentStore,
  GarbageCollector,
  ImageStore,
  createSnapshotter,
  removeAbandonedUnpacks,
  snapshotCollector,
  storeLayout,
  type Snapshotter,
} from '@c/layers';
import { DockerConfigCredentials, RegistryClient } from '@c/registry-client';
import { hostMounter } from './host-mounter';
import { ImageService } from './image-service';
import type { GarbagePort, RegistryPort } from './ports';

export const DEFAULT_ROOT = '/var/lib/c';

export interface CreateImageServiceOptions {
  /** The store root; default `/var/lib/c`. */
  root?: string;
  /** Registries to reach over plain HTTP besides localhost and 127.0.0.0/8. */
  insecureRegistries?: string[];
  /** Another registry client (tests, embedding); default the real RegistryClient with docker's credentials. */
  registry?: RegistryPort;
}

export function createImageService(options: CreateImageServiceOptions = {}): ImageService {
  const layout = storeLayout(options.root ?? DEFAULT_ROOT);
  const credentials = new DockerConfigCredentials();
  const registry =
    options.registry ??
    new RegistryClient({
      credentials,
      ...(options.insecureRegistries ? { insecureRegistries: options.insecureRegistries } : {}),
    });
  const content = new ContentStore(layout.content);
  const images = new ImageStore(layout.images);
  // Probing the driver mounts a trial overlay: done on first use, so `c images` never pays for it.
  let snapshots: Promise<Snapshotter> | undefined;
  const snapshotter = () => (snapshots ??= createSnapshotter(layout.snapshots));
  const collector = async () => {
    const s = await snapshotter();
    // A killed unpack's half-applied layer would pin its parents: dropping it first keeps df == prune.
    await removeAbandonedUnpacks(s);
    return new GarbageCollector({ content, images, collectors: [snapshotCollector(s)] });
  };
  const garbage: GarbagePort = {
    usage: async (usageOptions) => (await collector()).usage(usageOptions),
    collect: async () => (await collector()).collect(),
  };
  return new ImageService({
    content,
    images,
    // Deleting an image frees its blobs and unpacked layers at once, like docker rmi; leases keep pulls' blobs.
    collectGarbage: () => garbage.collect(),
    garbage,
    snapshotter,
    mounts: { root: join(layout.root, 'mounts'), mounter: hostMounter },
    registry,
    credentials: {
      save: (host, login) => credentials.saveCredentials(host, login),
      remove: (host) => credentials.removeCredentials(host),
    },
    tmpDir: layout.tmp,
  });
}
