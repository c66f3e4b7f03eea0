#!/usr/bin/env node
// bench/start-variants.mjs - what one Node start-up of c-runtime's init costs, and what the options tried against
// it (issue #4) change: node flags, a CommonJS build, a V8 startup snapshot. Every variant runs the init bundle up
// to its first report (koffi loaded, then the write to the missing sync fd fails), so each includes the init's
// whole load. Variants run interleaved (round i runs every variant once) so machine load hits all alike; prints
// medians of wall time and of CPU time (user+sys of the child, from /proc/self/stat's cutime+cstime, 10 ms ticks).
//
//   node bench/start-variants.mjs [rounds=30]      (builds the snapshot variant for the run; needs dist/ built)
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const rounds = Number(process.argv[2] ?? 30);
const runtime = join(dirname(fileURLToPath(import.meta.url)), '../packages/runtime');
const esmInit = join(runtime, 'dist/c-runtime-init.js');
const work = mkdtempSync(join(tmpdir(), 'c-bench-variants-'));
try {
  const esbuild = createRequire(join(runtime, '../../node_modules/.pnpm/node_modules/esbuild/package.json'))('esbuild');
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', conditions: ['c-source'], external: ['koffi'], logLevel: 'error' };
  const cjs = join(runtime, 'dist/c-runtime-init.cjs');
  // The blob sits in dist/ so koffi resolves as from there; it is removed at the end.
  const blob = join(runtime, 'dist/.bench-init.blob');
  const snapshotEntry = join(runtime, 'src/.bench-snapshot-entry.ts');
  writeFileSync(
    snapshotEntry,
    `import { startupSnapshot } from 'node:v8';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { linuxSyscalls, preloadSyscalls } from '@c/namespaces';
import { runInit } from './init/init-main';
startupSnapshot.setDeserializeMainFunction(() => {
  const blob = process.execArgv[process.execArgv.indexOf('--snapshot-blob') + 1];
  globalThis.__cInitUrl = pathToFileURL(join(dirname(blob), 'c-runtime-init.js')).href;
  preloadSyscalls();
  process.exitCode = runInit(linuxSyscalls);
});
`,
  );
  const snapshotCjs = join(work, 'snapshot-entry.cjs');
  try {
    esbuild.buildSync({ ...common, entryPoints: [snapshotEntry], outfile: snapshotCjs, define: { 'import.meta.url': 'globalThis.__cInitUrl' } });
  } finally {
    rmSync(snapshotEntry);
  }
  execFileSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', snapshotCjs], { stdio: 'ignore' });

  const node = process.execPath;
  const variants = {
    'node -e 0': [node, '-e', '0'],
    'node --v8-pool-size=0 -e 0': [node, '--v8-pool-size=0', '-e', '0'],
    'node --single-threaded -e 0': [node, '--single-threaded', '-e', '0'],
    'node --jitless -e 0': [node, '--jitless', '-e', '0'],
    'init (dist, ESM)': [node, esmInit],
    'init --v8-pool-size=0': [node, '--v8-pool-size=0', esmInit],
    'init --max-semi-space-size=64': [node, '--max-semi-space-size=64', esmInit],
    'init (dist, CJS)': [node, cjs],
    'init (V8 startup snapshot)': [node, '--snapshot-blob', blob],
  };
  const childCpuMs = () => {
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(f[13]) + Number(f[14])) * 10;
  };
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, { wall: [], cpu: [] }]));
  for (let i = 0; i < rounds + 2; i++) {
    for (const [name, argv] of Object.entries(variants)) {
      const cpu0 = childCpuMs();
      const t0 = process.hrtime.bigint();
      spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', env: {} });
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      if (i >= 2) {
        samples[name].wall.push(wall);
        samples[name].cpu.push(childCpuMs() - cpu0);
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(samples['init (dist, ESM)'].wall);
  for (const [name, s] of Object.entries(samples)) {
    const wall = median(s.wall);
    const delta = name.startsWith('init') && name !== 'init (dist, ESM)' ? `  (${wall - base >= 0 ? '+' : ''}${(wall - base).toFixed(1)} vs dist)` : '';
    console.log(`${name.padEnd(32)} wall ${wall.toFixed(1).padStart(6)} ms  cpu ${median(s.cpu).toFixed(0).padStart(4)} ms${delta}`);
  }
  console.log(`rounds ${rounds}, load ${loadavg()[0].toFixed(1)}, ${process.version}`);
  rmSync(blob, { force: true });
} finally {
  rmSync(work, { recursive: true, force: true });
}
