import { describe, expect, it } from 'vitest';
import type { SystemDfResponse } from '@c/api';
import { diskUsageRows } from './disk-usage';

const container = (state: 'running' | 'exited', sizeRw: number) =>
  ({ Id: state, Names: [], Image: 'a', ImageID: 'sha256:a', Command: '', Created: 0, Ports: [], Labels: {}, State: state, Status: state, HostConfig: { NetworkMode: 'none' }, NetworkSettings: { Networks: {} }, Mounts: [], SizeRw: sizeRw }) as SystemDfResponse['Containers'][number];

// Two images share a 3 MB base; a runs a container: exactly b's own 1 MB is reclaimable.
const usage: SystemDfResponse = {
  LayersSize: 5_000_000,
  Images: [
    { Id: 'sha256:a', Size: 4_000_000, SharedSize: 3_000_000, Containers: 1 },
    { Id: 'sha256:b', Size: 4_000_000, SharedSize: 3_000_000, Containers: 0 },
  ],
  Containers: [container('running', 2000), container('exited', 1000)],
  Volumes: [],
  BuildCache: [],
};

describe('c system df rows', () => {
  it('shows the daemon’s exact totals: shared layers once, reclaimable as prune -a frees', () => {
    const rows = diskUsageRows({
      ...usage,
      ImagesDiskUsage: { TotalCount: 2, ActiveCount: 1, TotalSize: 5_000_000, Reclaimable: 1_000_000 },
      ContainersDiskUsage: { TotalCount: 2, ActiveCount: 1, TotalSize: 3000, Reclaimable: 1000 },
    });
    expect(rows).toEqual([
      ['Images', '2', '1', '5MB', '1MB (20%)'],
      ['Containers', '2', '1', '3kB', '1kB (33%)'],
      ['Local Volumes', '0', '0', '0B', '0B'],
      ['Build Cache', '0', '0', '0B', '0B'],
    ]);
  });

  it('derives the totals from the rows as docker’s CLI does when the daemon sends none', () => {
    const rows = diskUsageRows(usage);
    // docker: LayersSize minus the unique bytes of active images (a's 1 MB).
    expect(rows[0]).toEqual(['Images', '2', '1', '5MB', '4MB (80%)']);
    expect(rows[1]).toEqual(['Containers', '2', '1', '3kB', '1kB (33%)']);
  });
});
