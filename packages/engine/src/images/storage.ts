/**
 * Space accounting over the store: which snapshots each image's layers are, who holds an image (containers'
 * active snapshots, image mounts), and the per-image rows of `c system df`. The bytes counted are the ones GC
 * frees: blob sizes from the content store and snapshot disk usage (blocks, hard links once).
 */
import { chainIds as computeChainIds, type Digest } from '@c/image';
import { SNAPSHOT_SIZE_LABEL, type SnapshotInfo, type Snapshotter } from '@c/layers';

/** What the unpack path labels active snapshots with (containers, image mounts) to name their image. */
export const IMAGE_ID_LABEL = 'c.image.id';
const CONTAINER_ID_LABEL = 'c.container.id';
const EXTRACT_PREFIX = 'extract-';

export interface SnapshotSurvey {
  all: SnapshotInfo[];
  byName: Map<string, SnapshotInfo>;
  /** Size of a snapshot: its commit-time label, else measured now. */
  size(name: string): Promise<number>;
}

export async function surveySnapshots(snapshotter: Snapshotter): Promise<SnapshotSurvey> {
  const all: SnapshotInfo[] = [];
  await snapshotter.walk((info) => void all.push(info));
  const byName = new Map(all.map((info) => [info.name, info]));
  const measured = new Map<string, number>();
  return {
    all,
    byName,
    async size(name) {
      const label = byName.get(name)?.labels[SNAPSHOT_SIZE_LABEL];
      if (label !== undefined && Number.isSafeInteger(Number(label))) return Number(label);
      const known = measured.get(name);
      if (known !== undefined) return known;
      const { size } = await snapshotter.usage(name);
      measured.set(name, size);
      return size;
    },
  };
}

export function layerChainIds(diffIds: readonly Digest[] | undefined): string[] {
  return diffIds && diffIds.length > 0 ? computeChainIds(diffIds) : [];
}

/** Unpacked size of a stack, or undefined when one of its layers is not unpacked (yet). */
export async function unpackedSize(survey: SnapshotSurvey, chain: readonly string[]): Promise<number | undefined> {
  let total = 0;
  for (const chainId of chain) {
    if (survey.byName.get(chainId)?.kind !== 'committed') return undefined;
    total += await survey.size(chainId);
  }
  return total;
}

/** An active snapshot or view that keeps an image in use: a container's rootfs or an image mount. */
export interface Holder {
  snapshot: string;
  kind: 'container' | 'mount';
  /** The container id, for containers. */
  container?: string;
  /** The image id from the label, when the creator set one. */
  imageId?: string;
  /** The committed ChainID it is built on. */
  parent?: string;
}

export function holdersOf(survey: SnapshotSurvey): Holder[] {
  const holders: Holder[] = [];
  for (const info of survey.all) {
    if (info.kind === 'committed' || info.name.startsWith(EXTRACT_PREFIX)) continue;
    const container = info.labels[CONTAINER_ID_LABEL];
    holders.push({
      snapshot: info.name,
      kind: container !== undefined ? 'container' : 'mount',
      ...(container !== undefined ? { container } : {}),
      ...(info.labels[IMAGE_ID_LABEL] !== undefined ? { imageId: info.labels[IMAGE_ID_LABEL] } : {}),
      ...(info.parent !== undefined ? { parent: info.parent } : {}),
    });
  }
  return holders;
}

/** Whether `holder` uses the image `id` whose top ChainID is `top` (by label, else by the stack it sits on). */
export function holds(holder: Holder, id: string, top: string | undefined): boolean {
  if (holder.imageId !== undefined) return holder.imageId === id;
  return top !== undefined && holder.parent === top;
}
