/**
 * The digest rules the store relies on, from @c/image. A digest names a file on disk, so it is validated
 * strictly before any path is built from it: `sha256:<64 lowercase hex>` or `sha512:<128 lowercase hex>`.
 * Malformed digests fail with INVALID_ARGUMENT, well-formed ones of other algorithms with UNSUPPORTED.
 */
export {
  createDigester,
  digestMismatch,
  digestOf,
  isDigest as isBlobDigest,
  parseDigest as parseBlobDigest,
  sizeMismatch,
} from '@c/image';
export type { DigestAlgorithm as BlobDigestAlgorithm, Digester, ParsedDigest as BlobDigestParts } from '@c/image';
