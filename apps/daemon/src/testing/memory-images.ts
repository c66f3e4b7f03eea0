/**
 * An in-memory ImagesBackend for the daemon's unit tests: names → images, scripted pull/push events. It keeps
 * the engine's observable contract (No such image errors, Untagged/Deleted lists), not its storage.
 */
import { CError } from '@c/errors';
import type {
  BackendDiskUsage,
  BackendImportResult,
  BackendPullOptions,
  BackendPullResult,
  BackendPushOptions,
  BackendPushResult,
  ImageInspectDocument,
  ImageRow,
  ImagesBackend,
  RemovedItem,
  TransferEvent,
} from '../backends';

export interface MemoryImage {
  id: string;
  digest: string;
  created: string;
  size: number;
}

function normalize(name: string): string {
  const lastSlash = name.lastIndexOf('/');
  return name.slice(lastSlash + 1).includes(':') || name.includes('@') ? name : `${name}:latest`;
}

function split(name: string): { repository: string; tag: string } {
  const colon = name.lastIndexOf(':');
  return { repository: name.slice(0, colon), tag: name.slice(colon + 1) };
}

export class MemoryImages implements ImagesBackend {
  readonly names = new Map<string, MemoryImage>();
  /** Events a pull emits, then its outcome (an error to throw, or the image to record). */
  pullScript: { events: TransferEvent[]; fail?: CError; failAfterEvents?: boolean; image?: MemoryImage } = { events: [] };
  pushScript: { events: TransferEvent[]; fail?: CError } = { events: [] };
  readonly calls: Array<{ op: string; args: unknown[] }> = [];
  logins: Array<{ registry: string | undefined; username: string }> = [];

  async list(): Promise<ImageRow[]> {
    return [...this.names].map(([name, image]) => ({
      ...split(name),
      name,
      id: image.id,
      digest: image.digest,
      created: image.created,
      size: image.size,
    }));
  }

  /** Every image id once, sharing nothing and used by nothing: all of it reclaimable. */
  async df(): Promise<BackendDiskUsage> {
    const byId = new Map([...this.names.values()].map((image) => [image.id, image]));
    const images = [...byId.values()].map((image) => ({ id: image.id, size: image.size, sharedSize: 0, containers: 0 }));
    const size = images.reduce((sum, image) => sum + image.size, 0);
    return { images, containers: [], totals: { images: { count: images.length, active: 0, size, reclaimable: size } } };
  }

  private get(name: string): MemoryImage {
    const image = this.names.get(normalize(name)) ?? [...this.names.values()].find((i) => i.id === name);
    if (!image) throw new CError('NOT_FOUND', `No such image: ${name}`);
    return image;
  }

  async inspect(name: string): Promise<ImageInspectDocument> {
    const image = this.get(name);
    const names = [...this.names].filter(([, i]) => i.id === image.id).map(([n]) => n);
    return {
      Id: image.id,
      RepoTags: names,
      RepoDigests: names.map((n) => `${split(n).repository}@${image.digest}`),
      Parent: '',
      Comment: '',
      Created: image.created,
      DockerVersion: '',
      Author: '',
      Config: { Cmd: ['sh'] },
      Architecture: 'amd64',
      Os: 'linux',
      Size: image.size,
      RootFS: { Type: 'layers', Layers: [] },
      Metadata: { LastTagTime: image.created },
    };
  }

  async tag(source: string, target: string): Promise<void> {
    this.calls.push({ op: 'tag', args: [source, target] });
    this.names.set(normalize(target), this.get(source));
  }

  async remove(name: string, options: { force?: boolean } = {}): Promise<RemovedItem[]> {
    this.calls.push({ op: 'remove', args: [name, options] });
    const key = normalize(name);
    const image = this.get(name);
    if (!this.names.has(key)) throw new CError('CONFLICT', `conflict: unable to delete ${name} (must be forced)`);
    this.names.delete(key);
    const result: RemovedItem[] = [{ Untagged: key }];
    if (![...this.names.values()].some((i) => i.id === image.id)) result.push({ Deleted: image.id });
    return result;
  }

  async pull(reference: string, options: BackendPullOptions = {}): Promise<BackendPullResult> {
    this.calls.push({ op: 'pull', args: [reference, { platform: options.platform, auth: options.auth }] });
    const script = this.pullScript;
    if (script.fail && !script.failAfterEvents) throw script.fail;
    for (const event of script.events) {
      options.signal?.throwIfAborted();
      options.onProgress?.(event);
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (script.fail) throw script.fail;
    const image = script.image ?? { id: 'sha256:' + 'c'.repeat(64), digest: 'sha256:' + 'd'.repeat(64), created: '2024-01-01T00:00:00Z', size: 1 };
    const key = normalize(reference);
    const upToDate = this.names.get(key)?.digest === image.digest;
    this.names.set(key, image);
    return { reference: key, fullReference: `docker.io/library/${key}`, digest: image.digest, id: image.id, status: upToDate ? 'up-to-date' : 'downloaded' };
  }

  async push(reference: string, options: BackendPushOptions = {}): Promise<BackendPushResult> {
    this.calls.push({ op: 'push', args: [reference, { auth: options.auth }] });
    const image = this.get(reference);
    for (const event of this.pushScript.events) options.onProgress?.(event);
    if (this.pushScript.fail) throw this.pushScript.fail;
    const { repository, tag } = split(normalize(reference));
    return { reference, repository, tag, digest: image.digest, size: 527 };
  }

  async import(source: AsyncIterable<Uint8Array>, target: string, options: { message?: string; changes?: string[] } = {}): Promise<BackendImportResult> {
    let bytes = 0;
    for await (const chunk of source) bytes += chunk.length;
    if (bytes === 0) throw new CError('INVALID_ARGUMENT', 'import source - is empty');
    this.calls.push({ op: 'import', args: [target, bytes, options] });
    const image = { id: 'sha256:' + 'e'.repeat(64), digest: 'sha256:' + 'f'.repeat(64), created: '2024-01-01T00:00:00Z', size: bytes };
    this.names.set(normalize(target), image);
    return { id: image.id };
  }

  async login(registry: string | undefined, credentials: { username: string; password: string }): Promise<{ registry: string }> {
    if (credentials.password !== 'secret') throw new CError('UNAUTHORIZED', 'unauthorized: incorrect username or password');
    this.logins.push({ registry, username: credentials.username });
    return { registry: registry ?? 'docker.io' };
  }
}
