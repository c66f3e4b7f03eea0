import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CError, isCError } from '@c/errors';
import { applyLayer } from './apply';
import { APPLY_WORKER_ENV, applyLayerInWorker, applyWorkerScript, workerUnavailable } from './apply-in-worker';
import { needsLowerLayers } from './extractor';
import { buildTar, chunked, listTree, removeDir, tempDir, withoutWhiteoutTimes } from './testing';

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const script = () => {
  const path = applyWorkerScript();
  if (!path) throw new Error(`the test setup did not build the worker ($${APPLY_WORKER_ENV})`);
  return path;
};
const openFds = () => readdirSync('/proc/self/fd').length;

describe('applyLayerInWorker', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('worker');
  });
  afterEach(() => removeDir(dir));

  // 3 MiB of incompressible data: several 1 MiB batches, and large-file writes on the worker's thread pool.
  const layer = async () =>
    gzipSync(
      await buildTar([
        { name: 'etc/', type: 'directory', mode: 0o750, uid: 3, gid: 4, mtime: 1_500_000_000 },
        { name: 'etc/conf', content: 'x=1\n', mode: 0o640 },
        { name: 'usr/lib/big', content: randomBytes(3 * 1024 * 1024), mode: 0o755 },
        { name: 'usr/lib/big-link', type: 'link', linkname: 'usr/lib/big' },
        { name: 'usr/lib/sh', type: 'symlink', linkname: 'big' },
        { name: 'srv/.wh.gone', content: '' },
      ]),
    );

  it('gives the same tree and result as applyLayer on this thread, fed in small chunks', async () => {
    const blob = await layer();
    mkdirSync(`${dir}/here`);
    mkdirSync(`${dir}/there`);
    const here = await applyLayer(chunked(blob, 16_384), `${dir}/here`, { whiteouts: 'overlay', expectedDigest: sha256(blob) });
    const there = await applyLayerInWorker(chunked(blob, 16_384), `${dir}/there`, { whiteouts: 'overlay', expectedDigest: sha256(blob) }, script());
    expect(there).toEqual(here);
    expect(there.entries).toBe(6);
    expect(withoutWhiteoutTimes(listTree(`${dir}/there`, { mtimes: true }))).toEqual(withoutWhiteoutTimes(listTree(`${dir}/here`, { mtimes: true })));
  });

  it('passes the worker failure back as the same CError code, message and details', async () => {
    const blob = await layer();
    mkdirSync(`${dir}/root`);
    const wrong = `sha256:${'0'.repeat(64)}`;
    const error = await applyLayerInWorker(chunked(blob), `${dir}/root`, { expectedDiffId: wrong }, script()).catch((e: unknown) => e);
    expect(isCError(error, 'DIGEST_MISMATCH')).toBe(true);
    expect((error as CError).message).toMatch(/the image config says sha256:0000/);
    expect((error as CError).details).toMatchObject({ expected: wrong });
  });

  it('reports a layer that needs its lower layers in a form needsLowerLayers recognises', async () => {
    mkdirSync(`${dir}/root`);
    const blob = await buildTar([{ name: 'alias', type: 'link', linkname: 'usr/bin/tool' }]);
    const error = await applyLayerInWorker(chunked(blob), `${dir}/root`, { whiteouts: 'overlay', lowerLayersPending: true }, script()).catch((e: unknown) => e);
    expect(needsLowerLayers(error)).toBe(true);
  });

  it('stops the worker when the source fails, closing what it opened, and rethrows the source error', async () => {
    const blob = await layer();
    mkdirSync(`${dir}/root`);
    const before = openFds();
    async function* failing() {
      yield blob.subarray(0, 2 * 1024 * 1024);
      throw new CError('UNAVAILABLE', 'the registry went away');
    }
    const error = await applyLayerInWorker(failing(), `${dir}/root`, {}, script()).catch((e: unknown) => e);
    expect(isCError(error, 'UNAVAILABLE')).toBe(true);
    expect(openFds()).toBe(before);
  });

  it('is cancelled by its signal', async () => {
    const blob = await layer();
    mkdirSync(`${dir}/root`);
    const controller = new AbortController();
    async function* slow() {
      yield blob.subarray(0, 1024 * 1024);
      controller.abort();
      yield blob.subarray(1024 * 1024);
    }
    const error = await applyLayerInWorker(slow(), `${dir}/root`, { signal: controller.signal }, script()).catch((e: unknown) => e);
    expect(isCError(error, 'CANCELLED')).toBe(true);
  });

  it('is cancelled by its signal after the whole source was handed over, and closes its files', async () => {
    const blob = gzipSync(await buildTar([1, 2, 3, 4].map((n) => ({ name: `big-${n}`, content: randomBytes(2 * 1024 * 1024) }))));
    mkdirSync(`${dir}/root`);
    const before = openFds();
    const controller = new AbortController();
    async function* whole() {
      yield blob;
    }
    const applying = applyLayerInWorker(whole(), `${dir}/root`, { signal: controller.signal }, script());
    setImmediate(() => controller.abort());
    const error = await applying.catch((e: unknown) => e);
    expect(isCError(error, 'CANCELLED')).toBe(true);
    expect(openFds()).toBe(before);
  });

  it('fails as workerUnavailable when its script cannot run, with the source closed, and that script is not offered again', async () => {
    const missing = `${dir}/no-such-worker.cjs`;
    let closed = false;
    // Endless: only closing it ends it.
    async function* source() {
      try {
        for (;;) yield Buffer.alloc(64 * 1024);
      } finally {
        closed = true;
      }
    }
    const iterable = source();
    // Started, so that closing it is observable.
    await iterable.next();
    const error = await applyLayerInWorker(iterable, `${dir}`, {}, missing).catch((e: unknown) => e);
    expect(workerUnavailable(error)).toBe(true);
    expect((error as CError).hint).toMatch(/rebuild @c\/layers/);
    expect(closed).toBe(true);
    const saved = process.env[APPLY_WORKER_ENV];
    try {
      process.env[APPLY_WORKER_ENV] = missing;
      expect(applyWorkerScript()).toBeUndefined();
      process.env[APPLY_WORKER_ENV] = 'relative/apply-worker.cjs';
      expect(applyWorkerScript()).toBe(`${process.cwd()}/relative/apply-worker.cjs`);
    } finally {
      if (saved === undefined) delete process.env[APPLY_WORKER_ENV];
      else process.env[APPLY_WORKER_ENV] = saved;
    }
    expect(applyWorkerScript()).toBe(script());
  });
});
