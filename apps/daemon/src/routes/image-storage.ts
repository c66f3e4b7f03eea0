/**
 * Image storage routes over the engine's ImageService:
 * - `POST /images/{name}/mount` and `/unmount` (non-standard, podman's `image mount`): `{ "Path": … }`.
 *   `unmount?all=1` releases every mount of the image.
 * - `POST /images/prune` (docker's): `filters={"dangling":["false"]}` is `prune -a`; frees what `df` reports.
 * - save/load (`./image-archive.ts`).
 * Backends without these operations (unit-test fakes) answer 501.
 */
import { parseFilters } from '@c/api';
import { CError } from '@c/errors';
import { queryFlag, sendJson } from '../http/respond';
import type { Route } from '../http/router';
import { imageArchiveRoutes } from './image-archive';

interface ImageStorageBackend {
  mount(name: string): Promise<{ id: string; path: string; count: number }>;
  unmount(name: string, options?: { all?: boolean }): Promise<{ id: string; path: string; count: number }>;
  prune(options?: { all?: boolean }): Promise<{ ImagesDeleted: unknown[]; SpaceReclaimed: number }>;
}

function storageOf(images: object): ImageStorageBackend {
  const candidate = images as Partial<ImageStorageBackend>;
  if (typeof candidate.mount !== 'function' || typeof candidate.unmount !== 'function' || typeof candidate.prune !== 'function') {
    throw new CError('UNSUPPORTED', 'this daemon\'s image backend cannot mount or prune images', { hint: 'run the daemon over the engine\'s image service' });
  }
  return candidate as ImageStorageBackend;
}

function nameOf(params: Record<string, string>): string {
  const name = params.name;
  if (!name) throw new CError('INVALID_ARGUMENT', 'no image name in the path', { hint: 'POST /images/{name}/mount' });
  return name;
}

export function imageStorageRoutes(images: object): Route[] {
  return [
    ...imageArchiveRoutes(images),
    {
      method: 'POST',
      pattern: '/images/prune',
      handler: async ({ res, query }) => {
        const dangling = parseFilters(query.get('filters')).get('dangling') ?? [];
        // docker: dangling=false selects every unused image (prune -a); the default prunes dangling content only.
        const all = dangling.some((value) => ['false', '0'].includes(value.toLowerCase()));
        const result = await storageOf(images).prune({ all });
        sendJson(res, 200, { ImagesDeleted: result.ImagesDeleted.length > 0 ? result.ImagesDeleted : null, SpaceReclaimed: result.SpaceReclaimed });
      },
    },
    {
      method: 'POST',
      pattern: '/images/{name*}/mount',
      handler: async ({ res, params }) => {
        const mounted = await storageOf(images).mount(nameOf(params));
        sendJson(res, 200, { Id: mounted.id, Path: mounted.path, Count: mounted.count });
      },
    },
    {
      method: 'POST',
      pattern: '/images/{name*}/unmount',
      handler: async ({ res, params, query }) => {
        const left = await storageOf(images).unmount(nameOf(params), { all: queryFlag(query, 'all') });
        sendJson(res, 200, { Id: left.id, Path: left.path, Count: left.count });
      },
    },
  ];
}
