/**
 * vitest global setup: builds the layer-apply worker from the current sources into .test-build/ (inside this
 * package, so that koffi resolves from it) and points $C_LAYERS_APPLY_WORKER at it, so the tests never run a
 * stale dist/apply-worker.cjs, or need a build first.
 */
import { join } from 'node:path';
import { build } from 'tsup';
import { APPLY_WORKER_ENV } from '../src/archive/apply-in-worker';
import { applyWorkerConfig } from '../tsup.config';

export default async function setup(): Promise<void> {
  const outDir = join(import.meta.dirname, '..', '.test-build');
  await build({ ...applyWorkerConfig, outDir, silent: true, config: false });
  process.env[APPLY_WORKER_ENV] = join(outDir, 'apply-worker.cjs');
}
