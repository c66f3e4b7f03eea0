// dist/c.cjs, the `c` bin: runs dist/c-main.cjs (src/c.ts) from a V8 code cache kept next to it
// (@c/tooling/code-cache-loader), so a start-up deserializes code instead of compiling it.
import { join } from 'node:path';
import { loadWithCodeCache } from '@c/tooling/code-cache-loader';

loadWithCodeCache(join(__dirname, 'c-main.cjs'));
