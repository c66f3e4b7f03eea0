#!/usr/bin/env node
// bench/unpack.mjs: unpack a 3-layer gzip image of many small files with c (@c/layers dist, overlay
// snapshots), `umoci unpack` and `tar -xzf` of the same blobs in order; on ext4 and on tmpfs.
//
//   pnpm turbo run build --filter @c/layers && RUNS=5 node bench/unpack.mjs
//
// The image (python3.11 stdlib, /usr/include, /usr/share/perl: ~205 MB, ~11.7 k entries, deterministic tar
// flags) is built once into $BENCH_DIR/image and reused (CLEAN=1 rebuilds). Each run starts from an empty
// target; the tools alternate so that load spikes hit all of them; c runs as a fresh `node` process like a
// CLI would (its in-process unpack time is printed too). Prints each run, medians and ratios c/umoci, c/tar.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';

const RUNS = Number(process.env.RUNS ?? 5);
const HERE = fileURLToPath(new URL('.', import.meta.url));
const BENCH_DIR = process.env.BENCH_DIR ?? '/var/tmp/c-bench-unpack';
const TMPFS_DIR = process.env.TMPFS_DIR ?? '/dev/shm/c-bench-unpack';
const IMAGE = join(BENCH_DIR, 'image');
const LAYERS = [['usr/lib/python3.11'], ['usr/include'], ['usr/share/perl']];
const DIST = join(HERE, '../packages/layers/dist/index.js');

for (const tool of ['umoci', 'tar', 'gzip']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`bench/unpack.mjs: ${tool} is not installed`);
}
if (!existsSync(DIST) || !existsSync(join(HERE, '../packages/image/dist/index.js'))) {
  throw new Error('bench/unpack.mjs: build @c/layers and its dependencies first: pnpm turbo run build --filter @c/layers');
}

const sha256File = (path, gunzip = false) =>
  new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let stream = createReadStream(path);
    if (gunzip) stream = stream.pipe(createGunzip());
    stream.on('data', (chunk) => hash.update(chunk)).on('end', () => resolve(`sha256:${hash.digest('hex')}`)).on('error', reject);
  });

async function buildImage() {
  if (process.env.CLEAN === '1') rmSync(IMAGE, { recursive: true, force: true });
  if (existsSync(join(IMAGE, 'index.json'))) return;
  const blobs = join(IMAGE, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const layers = [];
  const diffIds = [];
  for (const paths of LAYERS) {
    const tmp = join(IMAGE, 'layer.tmp');
    execFileSync('sh', ['-c', `tar --sort=name --mtime=@1704067200 --owner=0 --group=0 --numeric-owner --pax-option=delete=atime,delete=ctime -C / -cf - ${paths.join(' ')} | gzip -n -6 > ${tmp}`]);
    const digest = await sha256File(tmp);
    diffIds.push(await sha256File(tmp, true));
    renameSync(tmp, join(blobs, digest.slice(7)));
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: statSync(join(blobs, digest.slice(7))).size });
  }
  const put = (text) => {
    const digest = `sha256:${createHash('sha256').update(text).digest('hex')}`;
    writeFileSync(join(blobs, digest.slice(7)), text);
    return { digest, size: Buffer.byteLength(text) };
  };
  const config = put(JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: {}, rootfs: { type: 'layers', diff_ids: diffIds } }));
  const manifest = put(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers }));
  writeFileSync(join(IMAGE, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(IMAGE, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }));
}

function timed(fn) {
  const start = process.hrtime.bigint();
  const extra = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, extra };
}

/** CPU seconds (user + sys) of every process run through `run` since the last `takeCpu()`. */
let cpu = 0;
const TIME_FILE = join(BENCH_DIR, 'time.out');
function takeCpu() {
  const value = cpu;
  cpu = 0;
  return value;
}

/** Runs a command under /usr/bin/time so its CPU time counts too: the machine is shared, wall time is noisy. */
function run(command, args) {
  const result = spawnSync('/usr/bin/time', ['-o', TIME_FILE, '-f', '%U %S', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  const [user, sys] = readFileSync(TIME_FILE, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  cpu += (user + sys) * 1000;
  return result.stdout.toString();
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function benchOn(label, workDir) {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const index = JSON.parse(readFileSync(join(IMAGE, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(IMAGE, 'blobs', 'sha256', index.manifests[0].digest.slice(7)), 'utf8'));
  const blobs = manifest.layers.map((layer) => join(IMAGE, 'blobs', 'sha256', layer.digest.slice(7)));
  const tools = {
    c: (target) => JSON.parse(run(process.execPath, [join(HERE, 'unpack-c.mjs'), IMAGE, target])),
    umoci: (target) => run('umoci', ['unpack', '--image', `${IMAGE}:latest`, target]),
    tar: (target) => {
      mkdirSync(target);
      for (const blob of blobs) run('tar', ['-xzf', blob, '-C', target]);
    },
  };
  const times = { c: [], umoci: [], tar: [] };
  const cpuTimes = { c: [], umoci: [], tar: [] };
  const inProcess = [];
  let detail;
  const order = Object.keys(tools);
  for (let i = 0; i < RUNS; i++) {
    // rotate the order each run so no tool always goes first after a cleanup
    const rotated = [...order.slice(i % order.length), ...order.slice(0, i % order.length)];
    for (const tool of rotated) {
      const target = join(workDir, `${tool}-${i}`);
      takeCpu();
      const { ms, extra } = timed(() => tools[tool](target));
      times[tool].push(ms);
      cpuTimes[tool].push(takeCpu());
      if (tool === 'c') {
        inProcess.push(extra.ms);
        detail = extra;
      }
      // On ext4 the trees stay until the series ends: a journal-less ext4 (this VM's disk) skips the inodes freed
      // in the last 60-360 s one by one when allocating (recently_deleted()), so the tool after a deletion paid
      // 0.2-0.5 ms per file instead of ~15 µs. tmpfs has no such cost, and keeping trees there would take RAM.
      if (label !== 'ext4') rmSync(target, { recursive: true, force: true });
      spawnSync('sync');
    }
    const show = (tool) => `${tool} ${times[tool].at(-1).toFixed(0)} ms (cpu ${cpuTimes[tool].at(-1).toFixed(0)})`;
    console.log(`${label} run ${i + 1} (load ${loadavg()[0].toFixed(1)}): ${show('c')} in-process ${inProcess.at(-1).toFixed(0)}, ${show('umoci')}, ${show('tar')}`);
  }
  rmSync(workDir, { recursive: true, force: true });
  const m = { c: median(times.c), cInProcess: median(inProcess), umoci: median(times.umoci), tar: median(times.tar) };
  const mc = { c: median(cpuTimes.c), umoci: median(cpuTimes.umoci), tar: median(cpuTimes.tar) };
  console.log(
    `${label}: medians of ${RUNS} — c ${m.c.toFixed(0)} ms (in-process ${m.cInProcess.toFixed(0)} ms, driver ${detail.driver}, ${detail.entries} entries, ${(detail.bytes / 1e6).toFixed(0)} MB), ` +
      `umoci ${m.umoci.toFixed(0)} ms, tar ${m.tar.toFixed(0)} ms; wall c/umoci ${(m.c / m.umoci).toFixed(2)}, c/tar ${(m.c / m.tar).toFixed(2)}`,
  );
  console.log(
    `${label}: CPU (user+sys) medians — c ${mc.c.toFixed(0)} ms, umoci ${mc.umoci.toFixed(0)} ms, tar ${mc.tar.toFixed(0)} ms; cpu c/umoci ${(mc.c / mc.umoci).toFixed(2)}, c/tar ${(mc.c / mc.tar).toFixed(2)}`,
  );
  return m;
}

await buildImage();
const sizes = JSON.parse(readFileSync(join(IMAGE, 'blobs', 'sha256', JSON.parse(readFileSync(join(IMAGE, 'index.json'), 'utf8')).manifests[0].digest.slice(7)), 'utf8')).layers.map((l) => l.size);
console.log(`image: ${sizes.length} gzip layers, ${(sizes.reduce((a, b) => a + b, 0) / 1e6).toFixed(1)} MB compressed; ${RUNS} runs per tool`);
const only = process.env.ONLY; // 'ext4' or 'tmpfs'
if (only !== 'tmpfs') benchOn('ext4', join(BENCH_DIR, 'work'));
if (only !== 'ext4') benchOn('tmpfs', TMPFS_DIR);
