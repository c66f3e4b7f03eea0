/**
 * The one way a blob becomes visible: a fully written, fsynced and verified file is made read-only and
 * renamed into blobs/<alg>/<hex>. rename(2) is atomic, so readers see no blob or the whole blob.
 */
import { chmod, mkdir, rename } from 'node:fs/promises';
import { syncDirectory } from '../util/atomic';
import type { ContentLayout } from './layout';

export async function publishBlob(layout: ContentLayout, verifiedDataPath: string, digest: string): Promise<void> {
  const dir = layout.blobDir(digest);
  await mkdir(dir, { recursive: true });
  await chmod(verifiedDataPath, 0o444);
  // Renaming over an existing blob of the same digest is harmless: the bytes are identical.
  await rename(verifiedDataPath, layout.blobPath(digest));
  await syncDirectory(dir);
}
