// dist/c.cjs, the `c` bin: runs dist/c-main.cjs (src/c.ts) from a V8 code cache kept next to it
// (@c/tooling/code-cache-loader), so a start-up deserializes code instead of compiling it. `c --version` is
// answered here, before any bundle is read.
import { join } from 'node:path';
import { loadWithCodeCache } from '@c/tooling/code-cache-loader';
import { version } from '../package.json';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) process.stdout.write(`c version ${version}\n`);
else loadWithCodeCache(join(__dirname, 'c-main.cjs'));
