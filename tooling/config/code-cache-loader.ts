// Loads a CommonJS bundle through a V8 code cache kept next to it (FILE.v8-cache), so a start-up deserializes code
// instead of compiling it (Node 20 has no module.enableCompileCache). The bins of c-runtime and c use it: every
// Node start-up here is tens of ms, and compiling a 100-400 kB bundle adds 2-15 ms more.
// The cache is used only if its first line names this Node version and the bundle's size and mtime (V8 itself only
// checks the source length); otherwise the bundle is compiled and, on exit, a new cache (with every function compiled
// during the run) replaces it, written to a temporary file and renamed. A read-only install just runs uncached.
// Node built-ins only: the bins bundle this file and nothing else on their path. The bundle gets the caller's
// `require` (bundles only require Node's built-ins): createRequire would load node:module, and with it the ESM
// loader's modules, on every start-up.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** How a bundle is loaded: see loadWithCodeCache. */
export interface CodeCacheOptions {
  /** Where the cache lives (default FILE.v8-cache). */
  cacheFile?: string;
  /**
   * Asked at exit, before a missing or rejected cache is written: false keeps it unwritten (a run that took an
   * unusual path would leave a cache without the usual path's functions, compiled lazily on every later run).
   */
  keepCache?: () => boolean;
}

/**
 * V8 rejects a cache made under other V8 flags (it checks a hash of them), so each set of Node flags (exec flags
 * and those in NODE_OPTIONS) keeps a cache of its own: `c` (whose shebang adds --no-rehash-snapshot) and `node c.cjs`
 * would otherwise reject and rewrite each other's on every alternation. `X.v8-cache` becomes `X.<flags>.v8-cache`.
 * NODE_OPTIONS is split on whitespace, its words starting with "-" kept: a quoted or separate flag value only makes
 * the name less exact (at worst two flag sets share a cache, which V8 then rejects and the run rewrites).
 */
function withFlags(cacheFile: string): string {
  const fromEnvironment = (process.env['NODE_OPTIONS'] ?? '').split(/\s+/).filter((word) => word.startsWith('-'));
  const flags = [...process.execArgv, ...fromEnvironment];
  if (flags.length === 0) return cacheFile;
  const tag = flags.map((flag) => flag.replace(/^-+/, '').replace(/[^A-Za-z0-9=_-]+/g, '_')).join('.').slice(0, 100);
  return cacheFile.endsWith('.v8-cache') ? `${cacheFile.slice(0, -'.v8-cache'.length)}.${tag}.v8-cache` : `${cacheFile}.${tag}`;
}

/**
 * Runs the CommonJS file `file` (an absolute path) as a module, with `require` as its require (Node's built-ins
 * only), and returns its exports. A cache holds the functions its first run compiled, and the others are compiled
 * lazily on every later run: `cacheFile` lets a caller keep one cache per kind of run.
 */
export function loadWithCodeCache(file: string, require: NodeJS.Require, options: CodeCacheOptions = {}): unknown {
  const cacheFile = withFlags(options.cacheFile ?? `${file}.v8-cache`);
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

  // No import() may be left in the bundle (build it with esbuild's `supported: { 'dynamic-import': false }`): a
  // vm.Script has no loader for it in Node 20 without an experimental flag.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    process.once('exit', () => {
      if (options.keepCache?.() === false) return;
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, Buffer.concat([Buffer.from(stamp), script.createCachedData()]));
        renameSync(tmp, cacheFile);
      } catch {
        // read-only install: run without a cache
      }
    });
  }
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, require, module, file, dirname(file));
  return module.exports;
}
