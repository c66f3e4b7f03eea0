#!/usr/bin/env node
// bench/unpack-parallel.mjs: the parallel-unpack experiment of issue #3. Applies the layers of bench/unpack.mjs's
// image ($BENCH_DIR/image, built by that script) each into its own directory, as overlay upper dirs
// (whiteouts: overlay), once one after the other on the main thread and once all at the same time on worker
// threads (one per layer). Layers do not read each other's files except for implicit directory attributes and
// copy-up of cross-layer hard links, which this experiment leaves out (see the report in the layers README).
//
//   pnpm --filter @c/layers build && RUNS=3 node bench/unpack-parallel.mjs      # TARGET=/dev/shm/... for tmpfs
import { createReadStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const DIST = join(HERE, '../packages/layers/dist/index.js');
const { applyLayer } = await import(DIST);
const blobPath = (layout, digest) => join(layout, 'blobs', ...digest.split(':'));

async function applyOne({ layout, layer, dir }) {
  mkdirSync(dir, { recursive: true });
  const result = await applyLayer(createReadStream(blobPath(layout, layer.digest), { highWaterMark: 1 << 20 }), dir, { mediaType: layer.mediaType, whiteouts: 'overlay' });
  return result.entries;
}

if (!isMainThread) {
  parentPort.postMessage(await applyOne(workerData));
} else {
  const RUNS = Number(process.env.RUNS ?? 3);
  const BENCH_DIR = process.env.BENCH_DIR ?? '/var/tmp/c-bench-unpack';
  const layout = join(BENCH_DIR, 'image');
  const target = process.env.TARGET ?? join(BENCH_DIR, 'parallel');
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blobPath(layout, index.manifests[0].digest), 'utf8'));
  const layers = manifest.layers;
  const sequential = async () => {
    for (const [i, layer] of layers.entries()) await applyOne({ layout, layer, dir: join(target, String(i)) });
  };
  const parallel = () =>
    Promise.all(
      layers.map(
        (layer, i) =>
          new Promise((resolve, reject) => {
            const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { layout, layer, dir: join(target, String(i)) } });
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
      ),
    );
  const times = { sequential: [], parallel: [] };
  for (let run = 1; run <= RUNS; run++) {
    for (const [name, fn] of run % 2 ? [['sequential', sequential], ['parallel', parallel]] : [['parallel', parallel], ['sequential', sequential]]) {
      rmSync(target, { recursive: true, force: true });
      const started = performance.now();
      await fn();
      times[name].push(performance.now() - started);
    }
    console.log(`run ${run}: sequential ${times.sequential.at(-1).toFixed(0)} ms, parallel ${times.parallel.at(-1).toFixed(0)} ms`);
  }
  rmSync(target, { recursive: true, force: true });
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const s = median(times.sequential);
  const p = median(times.parallel);
  console.log(`median (${layers.length} layers, ${target}): sequential ${s.toFixed(0)} ms, parallel ${p.toFixed(0)} ms, parallel/sequential ${(p / s).toFixed(2)}x`);
}
