// bench/network-start-clients.mts: driven by bench/network-start.sh. Through a running c-daemon, `run --rm IMAGE true`
// with `--network none` and with the default bridge, one after the other (the order flips every pair), so both
// see the same load; prints medians, p10/p90 and the median of the paired differences per client.
//
//   node --import tsx bench/network-start-clients.mts RUNS IMAGE 'docker -H unix:///x.sock' 'node apps/cli/dist/c.cjs -H unix:///x.sock'
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [runsArg, image, ...clients] = process.argv.slice(2);
const RUNS = Number(runsArg ?? 30);
if (image === undefined || clients.length === 0) throw new Error('usage: network-start-clients.mts RUNS IMAGE CLIENT...');

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pick = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const fmt = (xs: number[]) => `median ${pick(xs, 0.5).toFixed(1)} ms (p10 ${pick(xs, 0.1).toFixed(1)}, p90 ${pick(xs, 0.9).toFixed(1)}, n=${xs.length})`;
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function timed(argv: string[]): number {
  const started = performance.now();
  const r = spawnSync(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

for (const client of clients) {
  const base = client.split(' ').filter(Boolean);
  const none = [...base, 'run', '--rm', '--network', 'none', image, 'true'];
  const bridge = [...base, 'run', '--rm', image, 'true'];
  for (let i = 0; i < 3; i++) {
    timed(none);
    timed(bridge);
  }
  const n: number[] = [];
  const b: number[] = [];
  const delta: number[] = [];
  const before = load();
  for (let i = 0; i < RUNS; i++) {
    let x: number;
    let y: number;
    if (i % 2 === 0) {
      x = timed(none);
      y = timed(bridge);
    } else {
      y = timed(bridge);
      x = timed(none);
    }
    n.push(x);
    b.push(y);
    delta.push(y - x);
  }
  const name = base[0]?.endsWith('docker') ? 'docker CLI' : 'c CLI';
  console.log(`${name}: load average ${before} → ${load()}`);
  console.log(`  run --rm --network none:      ${fmt(n)}`);
  console.log(`  run --rm (default bridge):    ${fmt(b)}`);
  console.log(`  bridge - none, paired:        ${fmt(delta)}   (target <= 10 ms)`);
}
