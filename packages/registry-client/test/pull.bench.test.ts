/**
 * Throughput of push and pull against a local docker-registry, next to skopeo doing the same pull.
 * Opt-in (it moves 100 MiB): C_BENCH=1 pnpm --filter @c/registry-client test -- test/pull.bench
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BlobIngest, BlobSink } from '@c/image';
import { RegistryClient } from '../src/index';
import { image } from '../src/test-support/fixtures';
import { MemoryBlobStore } from '../src/test-support/memory-store';
import { registryAvailable, startRegistry, type LocalRegistry } from './local-registry';

const enabled = process.env.C_BENCH === '1' && registryAvailable;
if (process.env.C_BENCH === '1' && !registryAvailable) console.warn('bench skipped: /usr/bin/docker-registry is missing');

/** Writes blobs to files (hashing as they arrive), like a content store would; no resume. */
class FileSink implements BlobSink {
  constructor(readonly dir: string) {}
  async has(): Promise<boolean> {
    return false;
  }
  async ingest(digest: string): Promise<BlobIngest> {
    const path = join(this.dir, digest.replace(':', '-'));
    const out: WriteStream = createWriteStream(`${path}.partial`);
    const hash: Hash = createHash('sha256');
    const finished = () => new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    return {
      offset: 0,
      write: (chunk) => {
        hash.update(chunk);
        return out.write(chunk) ? Promise.resolve() : new Promise((resolve) => out.once('drain', () => resolve()));
      },
      commit: async () => {
        await finished();
        expect(`sha256:${hash.digest('hex')}`).toBe(digest);
        await rename(`${path}.partial`, path);
      },
      close: finished,
      abort: finished,
    };
  }
}

let registry: LocalRegistry;
let dir: string;
beforeAll(async () => {
  if (!enabled) return;
  registry = await startRegistry();
  dir = await mkdtemp(join(tmpdir(), 'c-regbench-'));
});
afterAll(async () => {
  await registry?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it.skipIf(!enabled)('push and pull 4 x 25 MiB layers', { timeout: 300_000 }, async () => {
  const img = image(Array.from({ length: 4 }, () => randomBytes(25 * 1024 * 1024)));
  const source = new MemoryBlobStore();
  for (const b of [img.config, img.manifest, ...img.layers]) source.put(b.bytes);
  const ref = { registry: registry.host, repository: 'bench/big', tag: '1' };
  const client = new RegistryClient();

  let t = performance.now();
  await client.push(ref, source, img.manifest.descriptor);
  const pushMs = performance.now() - t;

  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const target = await mkdtemp(join(dir, 'pull-'));
    t = performance.now();
    await client.pull(ref, new FileSink(target));
    runs.push(performance.now() - t);
    await rm(target, { recursive: true, force: true });
  }
  const skopeo: number[] = [];
  if (spawnSync('skopeo', ['--version']).status === 0) {
    for (let i = 0; i < 3; i++) {
      const target = join(dir, `skopeo-${i}`);
      t = performance.now();
      const r = spawnSync('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${registry.host}/bench/big:1`, `dir:${target}`]);
      skopeo.push(performance.now() - t);
      expect(r.status).toBe(0);
      await rm(target, { recursive: true, force: true });
    }
  }
  const fmt = (xs: number[]) => xs.map((x) => `${x.toFixed(0)} ms`).join(', ');
  console.log(`push 100 MiB: ${pushMs.toFixed(0)} ms\nc pull 100 MiB (3 runs): ${fmt(runs)}\nskopeo copy (3 runs): ${fmt(skopeo)}`);
  client.close();
});
