import { defineTestConfig } from '@c/tooling/vitest';

// Privileged tests share mounts, cgroups and loopback ports: run files one at a time.
// expect.poll waits on real containers and CLIs: vitest's 1 s default is too short on a loaded 2-core CI machine.
export default defineTestConfig({
  test: { fileParallelism: false, testTimeout: 120_000, hookTimeout: 120_000, expect: { poll: { timeout: 30_000, interval: 100 } } },
});
