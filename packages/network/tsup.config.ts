import { defineLibConfig } from '@c/tooling/tsup';

export default defineLibConfig();
