/**
 * `GET /system/df`: docker's disk-usage document over the engine's exact accounting (`ImageService.df()`):
 * `LayersSize` counts every blob and unpacked layer once however many images share it, and
 * `ImagesDiskUsage.Reclaimable` is what `c image prune -a` frees. Volumes and build cache: none yet.
 */
import type { DiskUsageTotals, ImageSummary, SystemDfResponse } from '@c/api';
import type { BackendDiskUsage, ImagesBackend } from '../backends';
import type { ContainersBackend } from '../containers/backend';
import { summaryRow } from '../containers/shapes';
import { sendJson } from '../http/respond';
import type { Route } from '../http/router';
import { toImageSummaries } from '../images/shapes';

type ContainerRow = ReturnType<ContainersBackend['list']>[number];

/** docker's CLI counts these states as active (not reclaimable by `container prune`). */
const ACTIVE_STATES = new Set(['running', 'paused', 'restarting']);

const NONE: DiskUsageTotals = { ActiveCount: 0, TotalCount: 0, Reclaimable: 0, TotalSize: 0 };

/** The response body; pure, so the unit test can check the arithmetic without a store. */
export function diskUsageDocument(usage: BackendDiskUsage, summaries: ImageSummary[], rows: ContainerRow[]): SystemDfResponse & Record<string, unknown> {
  const byId = new Map(usage.images.map((image) => [image.id, image]));
  const images = summaries.map((summary) => {
    const exact = byId.get(summary.Id);
    // An image the accounting does not know (recorded while df ran) keeps its listed size, sharing unknown (-1).
    return exact
      ? { ...summary, Size: exact.size, VirtualSize: exact.size, SharedSize: exact.sharedSize, Containers: exact.containers }
      : { ...summary, SharedSize: -1, Containers: 0 };
  });
  const imageSizeOf = new Map(images.map((image) => [image.Id, image.Size]));
  const writable = new Map(usage.containers.map((container) => [container.id, container.size]));
  const sizeRw = (row: ContainerRow) => writable.get(row.Id) ?? 0;
  const containers = rows.map((row) => ({ ...summaryRow(row, 'none'), SizeRw: sizeRw(row), SizeRootFs: sizeRw(row) + (imageSizeOf.get(row.ImageID) ?? 0) }));
  const idle = rows.filter((row) => !ACTIVE_STATES.has(row.State));
  const totals = usage.totals.images;
  return {
    LayersSize: totals.size,
    Images: images,
    Containers: containers as SystemDfResponse['Containers'],
    Volumes: [],
    BuildCache: [],
    ImagesDiskUsage: { ActiveCount: totals.active, TotalCount: images.length, Reclaimable: totals.reclaimable, TotalSize: totals.size },
    ContainersDiskUsage: {
      ActiveCount: containers.length - idle.length,
      TotalCount: containers.length,
      Reclaimable: idle.reduce((sum, row) => sum + sizeRw(row), 0),
      TotalSize: rows.reduce((sum, row) => sum + sizeRw(row), 0),
    },
    VolumesDiskUsage: NONE,
    BuildCacheDiskUsage: NONE,
  };
}

export function diskUsageRoutes(images: Pick<ImagesBackend, 'list' | 'df'>, containers: Pick<ContainersBackend, 'list'>): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/system/df',
      handler: async ({ res }) => {
        const rows = containers.list({ all: true });
        const usage = await images.df();
        const summaries = toImageSummaries(await images.list(), { separateDigestOnly: false });
        sendJson(res, 200, diskUsageDocument(usage, summaries, rows));
      },
    },
  ];
}
