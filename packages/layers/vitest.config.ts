import { defineTestConfig } from '@c/tooling/vitest';

export default defineTestConfig({ test: { globalSetup: ['test-setup/apply-worker.ts'] } });
