import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chunked, removeDir, tempDir } from '../archive/testing';
import { CopySnapshotter } from './copy';
import { imageOf, richLayers } from './fixtures';
import type { SnapshotInfo } from './types';
import { removeAbandonedUnpacks, unpackImage } from './unpack';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

describe('a crash in the middle of an unpack', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir('crash');
  });
  afterEach(() => removeDir(root));

  it('leaves consistent metadata; the abandoned snapshot is removed and the unpack completes later', async () => {
    const image = imageOf(await richLayers());
    mkdirSync(`${root}/blobs`);
    for (const [digest, blob] of image.blobs) writeFileSync(`${root}/blobs/${digest.slice(7)}`, blob);
    writeFileSync(`${root}/image.json`, JSON.stringify({ layers: image.layers, diffIds: image.diffIds, blobDir: `${root}/blobs` }));

    const child = spawn(process.execPath, ['--conditions=c-source', '--import', 'tsx', CHILD, `${root}/store`, `${root}/image.json`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('READY') && resolve());
        child.on('exit', () => reject(new Error(`child exited before READY: ${stderr}`)));
      });
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    } finally {
      child.kill('SIGKILL');
    }

    const snapshotter = new CopySnapshotter(`${root}/store`);
    const seen: SnapshotInfo[] = [];
    await snapshotter.walk((info) => void seen.push(info));
    expect(seen.filter((info) => info.kind === 'committed')).toHaveLength(2);
    const active = seen.filter((info) => info.kind === 'active');
    expect(active).toHaveLength(1);
    expect(active[0]!.name).toMatch(/^extract-/);
    JSON.parse(readFileSync(`${root}/store/metadata.json`, 'utf8'));

    expect(await removeAbandonedUnpacks(snapshotter)).toEqual([active[0]!.name]);
    expect(await snapshotter.cleanup()).toBe(0);
    expect(readdirSync(`${root}/store/snapshots`)).toHaveLength(2);

    const result = await unpackImage(image, (layer) => chunked(image.blobs.get(layer.digest)!), snapshotter);
    expect(result.reused).toBe(2);
    expect(result.applied).toHaveLength(1);
  }, 60_000);
});
