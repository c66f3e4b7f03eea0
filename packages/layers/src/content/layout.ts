/**
 * Where the content store keeps things under its root:
 *   blobs/<alg>/<hex>         committed, verified, read-only blobs
 *   ingest/<ref>/data         bytes of an unfinished write (<ref> = the digest's hex, or import-<id>)
 *   ingest/<ref>/ingest.json  what the write expects (digest, size) and when it started
 *   locks/ingest-<ref>.lock   held by the process writing <ref>
 * Paths are built only from validated digests and refs, so nothing can point outside the root.
 */
import { join, resolve } from 'node:path';
import { CError } from '@c/errors';
import { parseBlobDigest } from './digest';

const IMPORT_REF_RE = /^import-[a-f0-9]{16,64}$/;
const DIGEST_REF_RE = /^(?:[a-f0-9]{64}|[a-f0-9]{128})$/;

/** True for a name that can be an ingest directory: a digest's hex or an import id. */
export function isIngestRef(value: string): boolean {
  return DIGEST_REF_RE.test(value) || IMPORT_REF_RE.test(value);
}

export class ContentLayout {
  readonly root: string;
  readonly blobsRoot: string;
  readonly ingestRoot: string;
  readonly locksRoot: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.blobsRoot = join(this.root, 'blobs');
    this.ingestRoot = join(this.root, 'ingest');
    this.locksRoot = join(this.root, 'locks');
  }

  blobPath(digest: string): string {
    const { algorithm, hex } = parseBlobDigest(digest);
    return join(this.blobsRoot, algorithm, hex);
  }

  blobDir(digest: string): string {
    return join(this.blobsRoot, parseBlobDigest(digest).algorithm);
  }

  /** The ingest ref of a digest's resumable write: its hex, as the on-disk layout promises. */
  ingestRefOf(digest: string): string {
    return parseBlobDigest(digest).hex;
  }

  ingestDir(ref: string): string {
    return join(this.ingestRoot, checkedRef(ref));
  }

  ingestData(ref: string): string {
    return join(this.ingestDir(ref), 'data');
  }

  ingestMeta(ref: string): string {
    return join(this.ingestDir(ref), 'ingest.json');
  }

  ingestLock(ref: string): string {
    return join(this.locksRoot, `ingest-${checkedRef(ref)}.lock`);
  }
}

function checkedRef(ref: string): string {
  if (!isIngestRef(ref)) {
    throw new CError('INVALID_ARGUMENT', `invalid ingest ref ${JSON.stringify(ref.slice(0, 140))}`, {
      hint: 'an ingest ref is a digest hex or import-<id>, as listed by listIngests()',
      details: { ref },
    });
  }
  return ref;
}
