// dist/c.cjs, the `c` bin: runs dist/c-main.cjs (src/c.ts) from a V8 code cache kept next to it
// (@c/tooling/code-cache-loader), so a start-up deserializes code instead of compiling it. `c --version` is
// answered here, before any bundle is read.
import { join } from 'node:path';
import { loadWithCodeCache } from '@c/tooling/code-cache-loader';
import { version } from '../package.json';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) process.stdout.write(`c version ${version}\n`);
// `c run` keeps a code cache of its own: one written by another command lacks the run path's functions, which
// V8 would then compile on every run (~3 ms of CPU). Any cache is correct for any command; this only picks one.
else loadWithCodeCache(join(__dirname, 'c-main.cjs'), args.includes('run') ? { cacheFile: join(__dirname, 'c-main.cjs.run.v8-cache') } : {});
