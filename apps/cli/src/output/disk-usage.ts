/** The rows of `c system df`, from `GET /system/df`. */
import type { SystemDfResponse } from '@c/api';
import { humanSize } from './format';

/** The four rows of `docker system df`; without the daemon's totals, derived from the rows as docker's CLI does. */
export function diskUsageRows(usage: SystemDfResponse): string[][] {
  const images = usage.Images as Array<{ Size?: number; Containers?: number; SharedSize?: number }>;
  const activeImages = images.filter((i) => (i.Containers ?? 0) > 0);
  const imageTotals = usage.ImagesDiskUsage ?? {
    TotalCount: images.length,
    ActiveCount: activeImages.length,
    TotalSize: usage.LayersSize,
    Reclaimable: usage.LayersSize - activeImages.reduce((s, i) => s + (i.SharedSize === -1 ? 0 : (i.Size ?? 0) - (i.SharedSize ?? 0)), 0),
  };
  const active = (state: string) => state === 'running' || state === 'paused' || state === 'restarting';
  const containerTotals = usage.ContainersDiskUsage ?? {
    TotalCount: usage.Containers.length,
    ActiveCount: usage.Containers.filter((c) => active(c.State)).length,
    TotalSize: usage.Containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0),
    Reclaimable: usage.Containers.filter((c) => !active(c.State)).reduce((s, c) => s + (c.SizeRw ?? 0), 0),
  };
  const pct = (part: number, whole: number) => (whole > 0 ? ` (${Math.floor((part * 100) / whole)}%)` : '');
  const row = (type: string, t: { TotalCount: number; ActiveCount: number; TotalSize: number; Reclaimable: number }) => [
    type,
    String(t.TotalCount),
    String(t.ActiveCount),
    humanSize(t.TotalSize),
    `${humanSize(t.Reclaimable)}${pct(t.Reclaimable, t.TotalSize)}`,
  ];
  return [
    row('Images', imageTotals),
    row('Containers', containerTotals),
    ['Local Volumes', String(usage.Volumes.length), '0', '0B', '0B'],
    ['Build Cache', String(usage.BuildCache.length), '0', '0B', '0B'],
  ];
}
