import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const SRC = dirname(dirname(fileURLToPath(import.meta.url)));
// koffi stays external (it is native); the bundle is written inside the package's node_modules, so it finds
// koffi where an installed c does: in a node_modules directory above it (NODE_PATH covers koffi's own loader).
const PACKAGE_NODE_MODULES = join(SRC, '..', 'node_modules');

/** Whether this process is root with CAP_SYS_ADMIN (privileged tests skip otherwise). */
export const isPrivileged = (() => {
  if (process.getuid?.() !== 0) return false;
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const capEff = /CapEff:\s*([0-9a-f]+)/.exec(status)?.[1];
    return capEff !== undefined && (BigInt(`0x${capEff}`) & (1n << 21n)) !== 0n;
  } catch {
    return false;
  }
})();

/**
 * Runs `body` (TypeScript, with the package's exports in scope as `ns`) in a fresh `node` process, so
 * namespace changes, seccomp filters and execve never touch the test process. Returns the finished process.
 */
export function runInChild(body: string, options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; outsidePackage?: boolean } = {}): SpawnSyncReturns<string> {
  // outsidePackage: a temp dir with no node_modules above it (koffi only through NODE_PATH).
  const scratch = mkdtempSync(options.outsidePackage ? join(tmpdir(), 'c-ns-test-') : join(PACKAGE_NODE_MODULES, '.c-ns-test-'));
  try {
    const entry = `import * as ns from './index';\n(async () => {\n${body}\n})().catch((e) => { console.error(String(e)); process.exit(99); });\n`;
    const out = join(scratch, 'child.mjs');
    buildSync({
      stdin: { contents: entry, resolveDir: SRC, loader: 'ts', sourcefile: 'child.ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['koffi'],
      outfile: out,
      logLevel: 'silent',
    });
    writeFileSync(join(scratch, 'package.json'), '{"type":"module"}');
    return spawnSync(process.execPath, [out], {
      encoding: 'utf8',
      env: { ...process.env, NODE_PATH: PACKAGE_NODE_MODULES, ...options.env },
      timeout: options.timeoutMs ?? 15_000,
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
