/**
 * Wires an ImageService to the real store under a root directory (default /var/lib/c) and the real registry
 * client with docker's credentials file.
 */
import { ContentStore, GarbageCollector, ImageStore, storeLayout } from '@c/layers';
import { DockerConfigCredentials, RegistryClient } from '@c/registry-client';
import { ImageService } from './image-service';

export const DEFAULT_ROOT = '/var/lib/c';

export interface CreateImageServiceOptions {
  /** The store root; default `/var/lib/c`. */
  root?: string;
  /** Registries to reach over plain HTTP besides localhost and 127.0.0.0/8. */
  insecureRegistries?: string[];
}

export function createImageService(options: CreateImageServiceOptions = {}): ImageService {
  const layout = storeLayout(options.root ?? DEFAULT_ROOT);
  const credentials = new DockerConfigCredentials();
  const registry = new RegistryClient({
    credentials,
    ...(options.insecureRegistries ? { insecureRegistries: options.insecureRegistries } : {}),
  });
  const content = new ContentStore(layout.content);
  const images = new ImageStore(layout.images);
  return new ImageService({
    content,
    images,
    // Deleting an image frees its blobs at once, like docker rmi; leases keep blobs of pulls in flight.
    collectGarbage: () => new GarbageCollector({ content, images }).collect(),
    registry,
    credentials: {
      save: (host, login) => credentials.saveCredentials(host, login),
      remove: (host) => credentials.removeCredentials(host),
    },
    tmpDir: layout.tmp,
  });
}
