// Test support: a ContainerCgroups that touches no cgroup, recording prepare/create/destroy in `log`.
import type { ContainerCgroups } from '../cgroups-port';

export function fakeCgroups(log: string[] = []): (path: string) => ContainerCgroups {
  return (path) => ({
    path,
    prepare: () => log.push('prepare'),
    create: (pid) => log.push(`create ${pid}`),
    addProcess: () => undefined,
    pids: () => [],
    isFrozen: () => false,
    freeze: async () => undefined,
    thaw: async () => undefined,
    oomKills: () => 0,
    directories: () => [],
    destroy: async () => {
      log.push('destroy');
    },
  });
}
