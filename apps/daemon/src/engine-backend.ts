import { createImageService } from '@c/engine';
import type { ImagesBackend } from './backends';

/** The engine's image service over the store under `root`: the daemon's only source of image state. */
export function createEngineImagesBackend(root: string): ImagesBackend {
  // ImageService satisfies ImagesBackend structurally; the assignment is the compile-time check of that contract.
  const service: ImagesBackend = createImageService({ root });
  return service;
}
