import { defineTestConfig } from '@c/tooling/vitest';

// Privileged tests share mounts, cgroups and loopback ports: run files one at a time.
export default defineTestConfig({ test: { fileParallelism: false, testTimeout: 120_000, hookTimeout: 120_000 } });
