/**
 * docker's `size` of a container: SizeRw, the bytes of its writable layer (the active snapshot's own directory),
 * and SizeRootFs, that plus every layer of its image (the committed snapshots of its chain). Image layers never
 * change, so their sizes are remembered by snapshot name.
 */
import type { Snapshotter } from '@c/layers';

export interface ContainerSizes {
  SizeRw: number;
  SizeRootFs: number;
}

export class ContainerSizer {
  private readonly layerSizes = new Map<string, number>();

  constructor(private readonly snapshotter: Pick<Snapshotter, 'usage' | 'stat'>) {}

  async sizes(snapshotKey: string, parentChainId: string | undefined): Promise<ContainerSizes> {
    const rw = await this.snapshotter.usage(snapshotKey).then(
      (usage) => usage.size,
      () => 0, // removed meanwhile, or never prepared: nothing written
    );
    let image = 0;
    for (let name = parentChainId, hops = 0; name !== undefined && hops < 1024; hops++) {
      let size = this.layerSizes.get(name);
      let parent: string | undefined;
      try {
        const info = await this.snapshotter.stat(name);
        parent = info.parent;
        if (size === undefined) {
          size = (await this.snapshotter.usage(name)).size;
          this.layerSizes.set(name, size);
        }
      } catch {
        break; // a layer gone from the store (pruned): count what is there
      }
      image += size;
      name = parent;
    }
    return { SizeRw: rw, SizeRootFs: rw + image };
  }
}
