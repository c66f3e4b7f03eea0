/** `GET /system/df`: images and containers as docker's disk-usage document (volumes and build cache: none yet). */
import type { ImagesBackend } from '../backends';
import type { ContainersBackend } from '../containers/backend';
import { summaryRow } from '../containers/shapes';
import { sendJson } from '../http/respond';
import type { Route } from '../http/router';
import { toImageSummaries } from '../images/shapes';

export function diskUsageRoutes(images: Pick<ImagesBackend, 'list'>, containers: Pick<ContainersBackend, 'list'>): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/system/df',
      handler: async ({ res }) => {
        const rows = containers.list({ all: true });
        const usedBy = new Map<string, number>();
        for (const row of rows) usedBy.set(row.ImageID, (usedBy.get(row.ImageID) ?? 0) + 1);
        const imageSummaries = toImageSummaries(await images.list(), { separateDigestOnly: false }).map((image) => ({ ...image, Containers: usedBy.get(image.Id) ?? 0 }));
        sendJson(res, 200, {
          // Layers shared between images are counted once per image here: the store does not report sharing yet.
          LayersSize: imageSummaries.reduce((sum, image) => sum + image.Size, 0),
          Images: imageSummaries,
          Containers: rows.map((row) => ({ ...summaryRow(row, 'none'), SizeRw: 0, SizeRootFs: 0 })),
          Volumes: [],
          BuildCache: [],
        });
      },
    },
  ];
}
