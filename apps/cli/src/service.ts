/** The image service for a command, over the store root chosen by --root / C_ROOT. */
import { createImageService, type ImageService } from '@c/engine/images';
import type { GlobalOptions } from './context';

export function imageService(globals: GlobalOptions): ImageService {
  return createImageService({ root: globals.root });
}
