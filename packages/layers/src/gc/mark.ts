/**
 * Marking: everything reachable from the roots. An image record reaches its index (all child manifests),
 * its target manifest, the manifest's config and layers; the config's DiffIDs give the ChainIDs its
 * snapshots live under. Leases and extra roots keep the digests they name (and, when such a digest is a
 * stored manifest or index, what it references).
 */
import {
  chainIds,
  isConfigMediaType,
  MAX_MANIFEST_SIZE,
  parseImageConfig,
  parseManifest,
  MAX_CONFIG_SIZE,
  type ParsedManifest,
} from '@c/image';
import type { ContentStore } from '../content/content-store';
import type { ImageRecord } from '../metadata/records';

export interface MarkResult {
  blobs: Set<string>;
  chainIds: Set<string>;
  /** Per image record name: every digest it reaches. */
  reachedBy: Map<string, Set<string>>;
  /** Documents that had to be read but could not be: marking is incomplete. */
  problems: string[];
}

export class Marker {
  readonly #content: ContentStore;
  readonly #result: MarkResult = { blobs: new Set(), chainIds: new Set(), reachedBy: new Map(), problems: [] };
  /** Closure of each document visited, so shared bases are read once. */
  readonly #closures = new Map<string, Set<string>>();

  constructor(content: ContentStore) {
    this.#content = content;
  }

  get result(): MarkResult {
    return this.#result;
  }

  async markImage(record: ImageRecord): Promise<void> {
    const reached = new Set<string>();
    const where = `image ${record.name}`;
    if (record.indexDigest) this.#merge(reached, await this.#document(record.indexDigest, where, true));
    this.#merge(reached, await this.#document(record.target.digest, where, true));
    if (record.configDigest) reached.add(record.configDigest);
    for (const digest of reached) this.#result.blobs.add(digest);
    this.#result.reachedBy.set(record.name, reached);
  }

  /** A digest kept by a lease or an extra root: itself, plus what it references when it is a manifest. */
  async markRoot(digest: string, where: string): Promise<void> {
    this.#result.blobs.add(digest);
    if (await this.#looksLikeJson(digest)) {
      for (const reached of await this.#document(digest, where, false)) this.#result.blobs.add(reached);
    }
  }

  /**
   * Everything a manifest or index reaches (itself included). `required`: the digest is known to be a
   * manifest or index, so failing to read it is a problem; otherwise a non-manifest is just a leaf.
   */
  async #document(digest: string, where: string, required: boolean): Promise<Set<string>> {
    const cached = this.#closures.get(digest);
    if (cached) return cached;
    const closure = new Set<string>([digest]);
    this.#closures.set(digest, closure); // before recursing, so a cyclic index cannot loop
    if (!(await this.#content.has(digest))) return closure; // e.g. other platforms of an index, never pulled
    let parsed: ParsedManifest;
    try {
      parsed = parseManifest(await this.#content.read(digest, { maxSize: MAX_MANIFEST_SIZE }));
    } catch (error) {
      if (required) this.#problem(`${where}: cannot read manifest ${digest}`, error);
      return closure;
    }
    if (parsed.kind === 'index') {
      for (const child of parsed.index.manifests) {
        this.#merge(closure, await this.#document(child.digest, `${where} → ${digest}`, true));
      }
      return closure;
    }
    const { config, layers } = parsed.manifest;
    closure.add(config.digest);
    for (const layer of layers) closure.add(layer.digest);
    if (isConfigMediaType(config.mediaType)) await this.#markChainIds(config.digest, `${where} → ${digest}`);
    return closure;
  }

  async #markChainIds(configDigest: string, where: string): Promise<void> {
    if (!(await this.#content.has(configDigest))) return;
    try {
      const config = parseImageConfig(await this.#content.read(configDigest, { maxSize: MAX_CONFIG_SIZE }));
      for (const id of chainIds(config.rootfs.diff_ids)) this.#result.chainIds.add(id);
    } catch (error) {
      this.#problem(`${where}: cannot read image config ${configDigest}`, error);
    }
  }

  async #looksLikeJson(digest: string): Promise<boolean> {
    if (!(await this.#content.has(digest))) return false;
    if ((await this.#content.size(digest)) > MAX_MANIFEST_SIZE) return false;
    const stream = await this.#content.open(digest);
    try {
      for await (const chunk of stream) {
        const text = (chunk as Buffer).toString('utf8').trimStart();
        if (text.length > 0) return text.startsWith('{');
      }
      return false;
    } finally {
      stream.destroy();
    }
  }

  #merge(into: Set<string>, from: Iterable<string>): void {
    for (const digest of from) into.add(digest);
  }

  #problem(what: string, error: unknown): void {
    this.#result.problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
