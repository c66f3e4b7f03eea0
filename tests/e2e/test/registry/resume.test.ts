/**
 * An interrupted pull resumes: `c pull` is killed with SIGKILL half-way through a large layer (served slowly by
 * a proxy), and the next pull fetches only what is missing (a Range request), then verifies the whole blob.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, expectSuccess, type CliEnvironment } from './support/cli';
import { haveRegistry, startRegistry, type RunningRegistry } from './support/registry-server';
import { buildRandomTar } from './support/rootfs';
import { startSlowProxy, type SlowProxy } from './support/slow-proxy';

const LAYER_BYTES = 32 * 1024 * 1024;

describe.skipIf(!haveRegistry)('resuming an interrupted pull', () => {
  let registry: RunningRegistry;
  let proxy: SlowProxy;
  let pusher: CliEnvironment;
  let puller: CliEnvironment;
  let interrupted: CliEnvironment;
  let work: string;
  let layerDigest: string;
  let layerSize: number;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'c-e2e-resume-'));
    registry = await startRegistry();
    proxy = await startSlowProxy(registry.port);
    pusher = cliEnvironment();
    puller = cliEnvironment();
    interrupted = cliEnvironment();
    const image = `${registry.host}/big:1`;
    expectSuccess(await pusher.run(['import', buildRandomTar(work, 'big.tar', LAYER_BYTES), image]), 'c import');
    expectSuccess(await pusher.run(['push', '-q', image]), 'c push');
    const manifest = (await (
      await fetch(`http://${registry.host}/v2/big/manifests/1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })
    ).json()) as { layers: { digest: string; size: number }[] };
    layerDigest = manifest.layers[0]!.digest;
    layerSize = manifest.layers[0]!.size;
  });

  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    pusher?.cleanup();
    puller?.cleanup();
    interrupted?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('fetches only the missing bytes after a kill -9', async () => {
    const image = `${proxy.host}/big:1`;
    proxy.setRate(4 * 1024 * 1024);
    const child = puller.spawn(['pull', image]);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const layerBytes = () => proxy.blobRequests.filter((r) => r.path.endsWith(layerDigest)).reduce((s, r) => s + r.bytes, 0);
    const deadline = Date.now() + 60_000;
    while (layerBytes() < layerSize / 3) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the pull did not get a third of the layer (${layerBytes()} bytes)`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const firstRun = layerBytes();
    expect(firstRun).toBeLessThan(layerSize);

    proxy.reset();
    proxy.setRate(undefined);
    const result = expectSuccess(await puller.run(['pull', image]), 'resumed c pull');
    expect(result.stdout).toContain(`Status: Downloaded newer image for ${image}`);
    const layerRequests = proxy.blobRequests.filter((r) => r.path.endsWith(layerDigest));
    const fetchedAgain = layerRequests.reduce((s, r) => s + r.bytes, 0);
    // The resumed pull asked for a range and got less than the whole layer.
    expect(layerRequests[0]?.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(layerRequests[0]?.status).toBe(206);
    expect(fetchedAgain).toBeLessThan(layerSize);
    expect(fetchedAgain).toBeLessThanOrEqual(layerSize - Number(/bytes=(\d+)-/.exec(layerRequests[0]!.range!)![1]));
    // And the stored blob is the layer, byte for byte.
    const stored = readFileSync(join(puller.root, 'content/blobs/sha256', layerDigest.slice(7)));
    expect(stored.length).toBe(layerSize);
    expect(`sha256:${createHash('sha256').update(stored).digest('hex')}`).toBe(layerDigest);
  });

  it('stops on Ctrl-C with exit code 130 and one error line, keeping what it fetched', async () => {
    const image = `${proxy.host}/big:1`;
    proxy.reset();
    proxy.setRate(4 * 1024 * 1024);
    const child = interrupted.spawn(['pull', image]);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (proxy.blobRequests.filter((r) => r.path.endsWith(layerDigest)).reduce((s, r) => s + r.bytes, 0) < layerSize / 4) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('the pull did not get a quarter of the layer');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    // The first command of this root also says that it started the root's daemon.
    const errorLines = stderr.split('\n').filter((line) => line && !line.startsWith('c: started the daemon'));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(/^Error: .+/);
    proxy.reset();
    proxy.setRate(undefined);
    expectSuccess(await interrupted.run(['pull', '-q', image]), 'pull after Ctrl-C');
    const again = proxy.blobRequests.filter((r) => r.path.endsWith(layerDigest));
    expect(again[0]?.range).toMatch(/^bytes=[1-9]\d*-$/);
  });
});
