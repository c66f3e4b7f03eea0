/**
 * What containers need from the image store: resolve a name or id to the image's config and layers, and open
 * layer blobs for unpacking. `storeImagePort` implements it over @c/layers' ImageStore and ContentStore.
 */
import { CError } from '@c/errors';
import type { Descriptor, ImageConfig } from '@c/image';
import type { ByteSource, ContentStore, ImageStore } from '@c/layers';
import { readConfig, readManifest } from '../images/documents';
import { idPrefix, normalizeReference, recordName } from '../images/names';

export interface ContainerImage {
  /** The config digest (docker's image id). */
  id: string;
  config: ImageConfig;
  /** The manifest's layers, bottom first. */
  layers: Descriptor[];
}

export interface ImagePort {
  resolve(nameOrId: string): Promise<ContainerImage>;
  open(layer: Descriptor): Promise<ByteSource>;
}

export function noSuchImage(input: string): CError {
  return new CError('NOT_FOUND', `No such image: ${input}`, { hint: 'check the name with `c images`, or pull it with `c pull`', details: { image: input } });
}

export function storeImagePort(content: ContentStore, images: ImageStore): ImagePort {
  const load = async (manifestDigest: string): Promise<ContainerImage> => {
    const manifest = await readManifest(content, manifestDigest);
    const config = await readConfig(content, manifest.config.digest);
    return { id: manifest.config.digest, config, layers: manifest.layers };
  };
  return {
    async resolve(input) {
      let name: string | undefined;
      try {
        name = recordName(normalizeReference(input));
      } catch (error) {
        if (idPrefix(input) === undefined) throw error;
      }
      const record = name === undefined ? undefined : await images.get(name);
      if (record) return load(record.target.digest);
      if (idPrefix(input) !== undefined) {
        const match = await images.findByDigest(input);
        const first = match?.records[0];
        if (first) return load(first.target.digest);
      }
      throw noSuchImage(input);
    },
    open: (layer) => content.open(layer.digest),
  };
}
