#!/usr/bin/env node
// bench/alternate.mjs: runs shell commands alternately (a, b, c, a, b, c, …) so machine load hits them alike, and
// prints each one's median, min and max wall time and the ratios of the first to the others. With --cpu it also
// prints each one's median CPU time (task-clock of the whole process tree, from `perf stat`): on a loaded 2-core
// machine CPU time is the steadier figure (e.g. for the CLI's own start-up).
//
//   node bench/alternate.mjs [--cpu] ROUNDS WARMUP 'name=command' 'name=command' ...
//
// A command that exits non-zero fails the benchmark (a fast failure is not a fast start).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const wantCpu = args[0] === '--cpu';
const [roundsArg, warmupArg, ...specs] = wantCpu ? args.slice(1) : args;
const rounds = Number(roundsArg);
const warmup = Number(warmupArg);
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(warmup) || specs.length === 0) {
  console.error("usage: alternate.mjs [--cpu] ROUNDS WARMUP 'name=command'...");
  process.exit(2);
}
const perf = wantCpu && spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', '--', 'true']).status === 0;
if (wantCpu && !perf) console.error('perf is not available: wall times only');
let perfOut;
if (perf) {
  const perfDir = mkdtempSync(join(tmpdir(), 'alternate-'));
  perfOut = join(perfDir, 'perf.csv');
  process.on('exit', () => rmSync(perfDir, { recursive: true, force: true }));
}

const commands = specs.map((spec) => {
  const eq = spec.indexOf('=');
  return { name: spec.slice(0, eq), command: spec.slice(eq + 1), times: [], cpu: [] };
});

function once(command) {
  const argv = perf ? ['perf', 'stat', '-x,', '-e', 'task-clock', '-o', perfOut, '--', '/bin/sh', '-c', command] : ['/bin/sh', '-c', command];
  const started = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    console.error(`failed (${result.status ?? result.signal}): ${command}\n${result.stderr}`);
    process.exit(1);
  }
  const line = perf ? readFileSync(perfOut, 'utf8').split('\n').find((l) => l.includes('task-clock')) : undefined;
  return { wall, cpu: line ? Number(line.split(',')[0]) : Number.NaN };
}

for (let round = 0; round < warmup + rounds; round++) {
  for (const entry of commands) {
    const { wall, cpu } = once(entry.command);
    if (round >= warmup) {
      entry.times.push(wall);
      entry.cpu.push(cpu);
    }
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const width = Math.max(...commands.map((entry) => entry.name.length));
for (const entry of commands) {
  entry.median = median(entry.times);
  console.log(
    `${entry.name.padEnd(width)}  median ${entry.median.toFixed(1).padStart(7)} ms   min ${Math.min(...entry.times).toFixed(1).padStart(7)}   max ${Math.max(...entry.times).toFixed(1).padStart(7)}` +
      (perf ? `   cpu median ${median(entry.cpu).toFixed(1).padStart(6)} ms` : '') +
      `   (${rounds} runs)`,
  );
}
const [first, ...others] = commands;
for (const other of others) console.log(`ratio ${first.name} / ${other.name}: ${(first.median / other.median).toFixed(2)}`);
