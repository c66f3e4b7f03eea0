import { describe, expect, test } from 'vitest';
import { detectCgroupLayout, parseProcCgroup } from './detect';

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const UNIFIED = `22 1 0:21 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;
const LEGACY_COMOUNTED = `25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:8 - cgroup cgroup rw,cpu,cpuacct
26 24 0:23 / /sys/fs/cgroup/pids rw,nosuid shared:9 - cgroup cgroup rw,pids
27 24 0:24 / /sys/fs/cgroup/my\\040dir rw shared:10 - cgroup cgroup rw,memory,clone_children
`;

describe('detectCgroupLayout', () => {
  test('hybrid: v1 controllers plus a cgroup2 mount (this host)', () => {
    const layout = detectCgroupLayout(HYBRID);
    expect(layout.mode).toBe('hybrid');
    expect(layout.v2).toBe('/sys/fs/cgroup/unified');
    expect(layout.v1.get('memory')).toBe('/sys/fs/cgroup/memory');
    expect(layout.v1.get('name=systemd')).toBe('/sys/fs/cgroup/systemd');
  });

  test('unified: only cgroup2 at /sys/fs/cgroup', () => {
    const layout = detectCgroupLayout(UNIFIED);
    expect(layout.mode).toBe('unified');
    expect(layout.v2).toBe('/sys/fs/cgroup');
    expect(layout.v1.size).toBe(0);
  });

  test('legacy with co-mounted controllers and escaped mount points', () => {
    const layout = detectCgroupLayout(LEGACY_COMOUNTED);
    expect(layout.mode).toBe('legacy');
    expect(layout.v1.get('cpu')).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(layout.v1.get('cpuacct')).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(layout.v1.get('memory')).toBe('/sys/fs/cgroup/my dir');
    expect(layout.v1.has('clone_children')).toBe(false);
  });

  test('the running host is detected', () => {
    expect(['unified', 'hybrid', 'legacy']).toContain(detectCgroupLayout().mode);
  });
});

describe('parseProcCgroup', () => {
  test('maps each controller and the v2 path', () => {
    const paths = parseProcCgroup('9:name=systemd:/\n4:memory:/a/b\n2:cpu,cpuacct:/c\n0::/user.slice\n');
    expect(paths.get('memory')).toBe('/a/b');
    expect(paths.get('cpu')).toBe('/c');
    expect(paths.get('cpuacct')).toBe('/c');
    expect(paths.get('')).toBe('/user.slice');
  });
});
