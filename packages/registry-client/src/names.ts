/** How digests are shown in progress events. */
import type { Digest } from '@c/image';

/** The first 12 hex digits: the id docker shows in progress lines. */
export function shortDigest(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}
