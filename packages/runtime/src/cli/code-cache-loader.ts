#!/usr/bin/env node
// dist/c-runtime.cjs, the `c-runtime` bin: runs the CLI bundle (dist/c-runtime-main.cjs) from a V8 code cache kept
// next to it, so a start-up deserializes code instead of compiling ~170 kB of JavaScript (issue #4; Node 20 has no
// module.enableCompileCache). The cache is used only if its first line names this Node version and the bundle's
// size and mtime (V8 itself only checks the source length); otherwise the bundle is compiled and, on exit, a new
// cache (with every function compiled during the run) replaces it. A read-only dist/ just means no cache.
// Node built-ins only: this file is not bundled with anything.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';

const file = join(__dirname, 'c-runtime-main.cjs');
const cacheFile = `${file}.v8-cache`;
// A shebang line is not JavaScript inside a function body: comment it out (line numbers stay).
const text = readFileSync(file, 'utf8');
const source = text.startsWith('#!') ? `//${text.slice(2)}` : text;
const stat = statSync(file);
const stamp = `${process.version} ${stat.size} ${stat.mtimeMs}\n`;

let cachedData: Buffer | undefined;
try {
  const raw = readFileSync(cacheFile);
  const nl = raw.indexOf(10);
  if (nl > 0 && raw.subarray(0, nl + 1).toString() === stamp) cachedData = raw.subarray(nl + 1);
} catch {
  // no cache yet
}

const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
if (cachedData === undefined || script.cachedDataRejected === true) {
  process.once('exit', () => {
    try {
      const tmp = `${cacheFile}.${process.pid}`;
      writeFileSync(tmp, Buffer.concat([Buffer.from(stamp), script.createCachedData()]));
      renameSync(tmp, cacheFile);
    } catch {
      // read-only install: run without a cache
    }
  });
}
const mainModule = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void).call(mainModule.exports, mainModule.exports, createRequire(file), mainModule, file, __dirname);
