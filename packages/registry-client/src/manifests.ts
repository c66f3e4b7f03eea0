/** Resolving a reference to a descriptor, and fetching manifests with their digest checked here. */
import { CError } from '@c/errors';
import { header, drain, readBody } from './http';
import {
  digestOf,
  familiarName,
  manifestReference,
  isIndexMediaType,
  isManifestMediaType,
  MANIFEST_ACCEPT_HEADER,
  parseDigest,
  parseManifest,
  type Descriptor,
  type Digest,
  type ParsedManifest,
  type Reference,
} from '@c/image';
import { repositoryScope } from './scope';
import type { RegistryTransport } from './transport';

export interface ResolvedManifest {
  descriptor: Descriptor;
  mediaType: string;
}

export interface FetchedManifest {
  bytes: Uint8Array;
  mediaType: string;
  digest: Digest;
  /** The validated document. */
  parsed: ParsedManifest;
}

/** A manifest addressed by repository and digest (or tag), without a full Reference. */
export interface ManifestLocation {
  registry: string;
  repository: string;
  digest: Digest;
}

/** The digest when there is one (it wins over the tag), else the tag, else `latest`. */
function manifestPath(ref: Reference | ManifestLocation): string {
  return `/v2/${ref.repository}/manifests/${manifestReference(ref)}`;
}

export class ManifestFetcher {
  constructor(
    private readonly transport: RegistryTransport,
    private readonly maxManifestBytes: number,
  ) {}

  /** HEAD first (free on Docker Hub's rate limit), GET when HEAD lacks digest or type. */
  async resolve(ref: Reference, signal?: AbortSignal): Promise<ResolvedManifest> {
    const name = familiarName(ref);
    const { res } = await this.transport.request({
      registry: ref.registry,
      method: 'HEAD',
      path: manifestPath(ref),
      scopes: [repositoryScope(ref.repository, ['pull'])],
      headers: { accept: MANIFEST_ACCEPT_HEADER },
      followRedirects: true,
      signal,
    });
    await drain(res);
    const status = res.statusCode ?? 0;
    if (status === 404) {
      throw new CError('NOT_FOUND', `manifest for ${name} not found: manifest unknown`, {
        hint: 'check the repository name and tag',
        details: { reference: name },
      });
    }
    if (status === 200) {
      const headerDigest = header(res, 'docker-content-digest');
      const mediaType = header(res, 'content-type')?.split(';')[0]?.trim();
      const size = Number(header(res, 'content-length'));
      const digest = ref.digest ?? headerDigest;
      if (digest && mediaType && (isManifestMediaType(mediaType) || isIndexMediaType(mediaType)) && Number.isSafeInteger(size) && size > 0) {
        if (size > this.maxManifestBytes) throw this.tooLarge(name, size);
        return { descriptor: { mediaType, digest, size }, mediaType };
      }
    }
    // Otherwise (no digest/type, or an error HEAD cannot explain without a body) GET says more.
    const fetched = await this.fetchManifest(ref, signal);
    return { descriptor: { mediaType: fetched.mediaType, digest: fetched.digest, size: fetched.bytes.length }, mediaType: fetched.mediaType };
  }

  /** GETs a manifest, bounded in size, its digest computed here (and checked when the ref names one). */
  async fetchManifest(ref: Reference | ManifestLocation, signal?: AbortSignal): Promise<FetchedManifest> {
    const name = familiarName(ref);
    const { res } = await this.transport.request({
      registry: ref.registry,
      method: 'GET',
      path: manifestPath(ref),
      scopes: [repositoryScope(ref.repository, ['pull'])],
      headers: { accept: MANIFEST_ACCEPT_HEADER },
      followRedirects: true,
      signal,
    });
    if (res.statusCode !== 200) {
      await this.transport.fail(res, { registry: ref.registry, what: `fetching manifest for ${name}`, notFound: `manifest for ${name} not found` });
    }
    const declared = Number(header(res, 'content-length'));
    if (Number.isSafeInteger(declared) && declared > this.maxManifestBytes) {
      res.destroy();
      throw this.tooLarge(name, declared);
    }
    let bytes: Uint8Array;
    try {
      bytes = await readBody(res, this.maxManifestBytes, `manifest for ${name}`);
    } catch (error) {
      if (error instanceof CError && error.code === 'LIMIT_EXCEEDED') throw this.tooLarge(name, undefined);
      throw error;
    }
    const expected = ref.digest;
    const digest = digestOf(bytes, expected ? parseDigest(expected).algorithm : 'sha256');
    if (expected && digest !== expected) {
      throw new CError('DIGEST_MISMATCH', `manifest for ${name} has digest ${digest}, expected ${expected}`, {
        hint: 'the registry served different content than requested; do not trust it',
        details: { expected, actual: digest },
      });
    }
    let parsed: ParsedManifest;
    try {
      parsed = parseManifest(bytes, header(res, 'content-type'));
    } catch (error) {
      // Name the reference: "the manifest is …" alone does not say which one.
      if (error instanceof CError) {
        throw new CError(error.code, `manifest for ${name}: ${error.message}`, { cause: error, hint: error.hint, details: error.details });
      }
      throw error;
    }
    return { bytes, mediaType: parsed.mediaType, digest, parsed };
  }

  private tooLarge(name: string, size: number | undefined): CError {
    return new CError('LIMIT_EXCEEDED', `manifest for ${name} is larger than the ${this.maxManifestBytes}-byte limit${size ? ` (${size} bytes)` : ''}`, {
      hint: 'raise maxManifestBytes if this registry legitimately serves such manifests',
      details: { limit: this.maxManifestBytes, size },
    });
  }
}
