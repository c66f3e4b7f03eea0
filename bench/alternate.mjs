#!/usr/bin/env node
// bench/alternate.mjs: runs shell commands alternately (a, b, c, a, b, c, …) so machine load hits them alike, and
// prints each one's median, min and max wall time and the ratios of the first to the others.
//
//   node bench/alternate.mjs ROUNDS WARMUP 'name=command' 'name=command' ...
//
// A command that exits non-zero fails the benchmark (a fast failure is not a fast start).
import { spawnSync } from 'node:child_process';

const [roundsArg, warmupArg, ...specs] = process.argv.slice(2);
const rounds = Number(roundsArg);
const warmup = Number(warmupArg);
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(warmup) || specs.length === 0) {
  console.error("usage: alternate.mjs ROUNDS WARMUP 'name=command'...");
  process.exit(2);
}
const commands = specs.map((spec) => {
  const eq = spec.indexOf('=');
  return { name: spec.slice(0, eq), command: spec.slice(eq + 1), times: [] };
});

function once(command) {
  const started = process.hrtime.bigint();
  const result = spawnSync('/bin/sh', ['-c', command], { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    console.error(`failed (${result.status ?? result.signal}): ${command}\n${result.stderr}`);
    process.exit(1);
  }
  return ms;
}

for (let round = 0; round < warmup + rounds; round++) {
  for (const entry of commands) {
    const ms = once(entry.command);
    if (round >= warmup) entry.times.push(ms);
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
    `${entry.name.padEnd(width)}  median ${entry.median.toFixed(1).padStart(7)} ms   min ${Math.min(...entry.times).toFixed(1).padStart(7)}   max ${Math.max(...entry.times).toFixed(1).padStart(7)}   (${rounds} runs)`,
  );
}
const [first, ...others] = commands;
for (const other of others) console.log(`ratio ${first.name} / ${other.name}: ${(first.median / other.median).toFixed(2)}`);
