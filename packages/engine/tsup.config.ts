import { defineLibConfig } from '@c/tooling/tsup';

// `@c/engine/images` is its own entry so the CLI's image commands load neither the container runtime nor
// koffi-backed namespaces code.
export default defineLibConfig({ entry: { index: 'src/index.ts', 'images/index': 'src/images/index.ts' } });
