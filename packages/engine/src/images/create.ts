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
import { DockerConfigCredentials, RegistryClient, type CredentialStore } from '@c/registry-client';
import { hostMounter } from './host-mounter';
import { ImageService } from './image-service';
import type { GarbagePort, RegistryPort } from './ports';

export const DEFAULT_ROOT = '/var/lib/c';

export interface CreateImageServiceOptions {
  /** The store root; default `/var/lib/c`. */
  root?: string;
  /** Registries to reach over plain HTTP besides localhost and 127.0.0.0/8. */
  insecureRegistries?: string[];
  /** Another registry client (tests, embedding); default the real RegistryClient, one per call. */
  registry?: RegistryPort;
  /**
   * Read and write docker's config.json (`$DOCKER_CONFIG`) for registry credentials (default true): pulls and
   * pushes without `auth` use the saved ones, `login` saves. A daemon passes false: like dockerd it keeps no
   * credentials, and each pull or push uses only what its client sent.
   */
  savedCredentials?: boolean;
  /**
   * Awaited before every garbage collection: a daemon passes its containers' pending snapshot deletions (a removed
   * container's rootfs goes just after its record), so an `rmi` right after `run --rm` also frees the image's layers,
   * which that rootfs was still based on.
   */
  beforeCollect?: () => Promise<unknown>;
}

/**
 * The real registry client, a fresh one per call: its tokens and connections live only as long as the call, so
 * one request's credentials never serve another (after `logout`, a pull is anonymous again).
 */
function perCallRegistry(fallback: CredentialStore | undefined, insecureRegistries: string[] | undefined): RegistryPort {
  async function withClient<T>(credentials: CredentialStore | undefined, use: (client: RegistryClient) => Promise<T>): Promise<T> {
    const chosen = credentials ?? fallback;
    const client = new RegistryClient({
      ...(chosen ? { credentials: chosen } : {}),
      ...(insecureRegistries ? { insecureRegistries } : {}),
    });
    try {
      return await use(client);
    } finally {
      client.close();
    }
  }
  return {
    pull: (ref, sink, { credentials, ...options }) => withClient(credentials, (client) => client.pull(ref, sink, options)),
    push: (ref, source, root, { credentials, ...options }) => withClient(credentials, (client) => client.push(ref, source, root, options)),
    login: (registry, login) => withClient(undefined, (client) => client.login(registry, login)),
  };
}

export function createImageService(options: CreateImageServiceOptions = {}): ImageService {
  const layout = storeLayout(options.root ?? DEFAULT_ROOT);
  const credentials = options.savedCredentials === false ? undefined : new DockerConfigCredentials();
  const registry = options.registry ?? perCallRegistry(credentials, options.insecureRegistries);
  const content = new ContentStore(layout.content);
  const images = new ImageStore(layout.images);
  // Probing the driver mounts a trial overlay: done on first use, so `c images` never pays for it.
  let snapshots: Promise<Snapshotter> | undefined;
  const snapshotter = () => (snapshots ??= createSnapshotter(layout.snapshots));
  const collector = async () => {
    await options.beforeCollect?.();
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
    ...(credentials
      ? {
          credentials: {
            save: (host: string, login: { username: string; password: string }) => credentials.saveCredentials(host, login),
            remove: (host: string) => credentials.removeCredentials(host),
          },
        }
      : {}),
    tmpDir: layout.tmp,
  });
}
