/**
 * A worker thread running CommonJS source given as a string (no build step: works from sources and dist alike).
 * node:worker_threads loads on the first worker, not with the package: most pulls and unpacks start none, and a
 * cold process (a CLI, a first daemon request) saves the ~5 ms the module costs.
 */
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';

let workerThreads: typeof import('node:worker_threads') | undefined;

export function startEvalWorker(source: string): Worker {
  workerThreads ??= createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  return new workerThreads.Worker(source, { eval: true });
}
