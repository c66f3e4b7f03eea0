// Per-call cost of a libc call through koffi, against Node's own process.pid (a cached property) and
// process.cpuUsage() (a real syscall through Node's C++). Run: node bench/syscall-cost.mjs [iterations]
// after `pnpm build` (it also measures the @c/namespaces wrapper from dist/).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const koffi = require('koffi');
const iterations = Number(process.argv[2] ?? 1e6);

function measure(label, fn) {
  for (let i = 0; i < 10_000; i++) fn(); // warm-up: let V8 optimise the call site
  const runs = [];
  for (let run = 0; run < 5; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    runs.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  runs.sort((a, b) => a - b);
  console.log(`${label.padEnd(52)} median ${runs[2].toFixed(1).padStart(7)} ns/call  (min ${runs[0].toFixed(1)}, max ${runs[4].toFixed(1)})`);
}

const libc = koffi.load('libc.so.6');
const getpid = libc.func('int getpid(void)');
const syscall = libc.func('long syscall(long number, ...)');
const getppid = libc.func('int getppid(void)');
// abs() never enters the kernel: its cost through koffi is the FFI overhead alone.
const abs = libc.func('int abs(int)');
const nr = process.arch === 'arm64' ? 172 : 39;

console.log(`node ${process.version}, koffi ${koffi.version ?? '?'}, ${iterations} calls x 5 runs`);
measure('empty JS function (loop floor)', () => 0);
measure('process.pid (cached, no syscall)', () => process.pid);
measure('koffi abs(-1) (no syscall: FFI overhead alone)', () => abs(-1));
measure('koffi getpid()', () => getpid());
measure('koffi getppid()', () => getppid());
measure('koffi getpid() + koffi.errno()', () => (getpid(), koffi.errno()));
measure('koffi syscall(SYS_getpid) (variadic)', () => syscall(nr));
try {
  const ns = await import('../dist/index.js');
  measure('@c/namespaces linuxSyscalls.getpid() (checked)', () => ns.linuxSyscalls.getpid());
} catch {
  console.log('(dist/ missing: run pnpm build to measure the @c/namespaces wrapper)');
}
measure('process.cpuUsage() (getrusage via Node C++)', () => process.cpuUsage());

// The same calls from C, for the FFI overhead = koffi - C.
const scratch = mkdtempSync(join(tmpdir(), 'c-bench-'));
try {
  const exe = join(scratch, 'getpid');
  execFileSync('gcc', ['-O2', '-o', exe, new URL('./getpid.c', import.meta.url).pathname]);
  process.stdout.write(execFileSync(exe, [String(iterations)], { encoding: 'utf8' }));
} catch (error) {
  console.log(`(C floor skipped: ${error.message.split('\n')[0]})`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
