/**
 * Which decompressor a layer needs: by media type, checked against the magic bytes (a blob that claims
 * gzip but is not gzip is refused rather than guessed at).
 */
import { CError } from '@c/errors';
import { layerCompression, type LayerCompression } from '@c/image';

export type Compression = LayerCompression;

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** The compression a layer media type declares, or undefined when it does not say (detect by magic). */
export function compressionOfMediaType(mediaType: string | undefined): Compression | undefined {
  return mediaType ? layerCompression(mediaType) : undefined;
}

const startsWith = (head: Uint8Array, magic: number[]) => magic.every((byte, i) => head[i] === byte);

/** The compression recognised from the first bytes of a blob (at least 4, unless the blob is shorter). */
export function detectCompression(head: Uint8Array): Compression {
  if (startsWith(head, GZIP_MAGIC)) return 'gzip';
  if (startsWith(head, ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/** Picks the decompressor: the declared one must match the magic bytes. */
export function resolveCompression(head: Uint8Array, mediaType: string | undefined): Compression {
  const detected = detectCompression(head);
  const declared = compressionOfMediaType(mediaType);
  if (declared !== undefined && declared !== detected) {
    throw new CError('INVALID_ARGUMENT', `layer declared as ${declared} (${mediaType}) starts with ${detected} bytes`, {
      hint: 'the manifest and the blob disagree; the image is corrupt',
      details: { mediaType, detected },
    });
  }
  return detected;
}
