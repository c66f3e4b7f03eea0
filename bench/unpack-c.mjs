#!/usr/bin/env node
// bench/unpack-c.mjs LAYOUT STORE: unpacks the image tagged `latest` in the OCI layout LAYOUT into a c
// snapshot store at STORE with @c/layers' built dist (run `pnpm --filter @c/layers build` first).
// Prints {"ms": <in-process unpack time>, "cpuMs": …, "driver": …, "entries": …, "bytes": …} on stdout.
// C_UNPACK_PARALLELISM sets unpackImage's `parallelism` (layers extracted at once on worker threads; 1: none);
// C_REF_NAME picks another tag of the layout than `latest`.
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [layout, store] = process.argv.slice(2);
const dist = join(fileURLToPath(new URL('.', import.meta.url)), '../packages/layers/dist/index.js');
const { createSnapshotter, unpackImage } = await import(dist);

const blobPath = (digest) => join(layout, 'blobs', ...digest.split(':'));
const readJson = (digest) => JSON.parse(readFileSync(blobPath(digest), 'utf8'));
const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
const manifest = readJson(index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === (process.env.C_REF_NAME ?? 'latest')).digest);
const config = readJson(manifest.config.digest);

const started = performance.now();
const snapshotter = await createSnapshotter(store, { driver: process.env.C_DRIVER ?? 'auto' });
const result = await unpackImage(
  { layers: manifest.layers, diffIds: config.rootfs.diff_ids },
  (layer) => createReadStream(blobPath(layer.digest), { highWaterMark: 1 << 20 }),
  snapshotter,
  process.env.C_UNPACK_PARALLELISM ? { parallelism: Number(process.env.C_UNPACK_PARALLELISM) } : {},
);
const ms = performance.now() - started;
const entries = result.applied.reduce((sum, layer) => sum + layer.entries, 0);
const bytes = result.applied.reduce((sum, layer) => sum + layer.bytes, 0);
const usage = process.resourceUsage();
const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
process.stdout.write(`${JSON.stringify({ ms, cpuMs, sysMs: usage.systemCPUTime / 1000, driver: snapshotter.driver, entries, bytes })}\n`);
