import { defineTestConfig } from '@c/tooling/vitest';

export default defineTestConfig();
