/** container / image / system prune: asks first unless -f, then prints what went and the space reclaimed. */
import { createInterface } from 'node:readline';
import type { EngineClient } from '@c/api';
import { encodeFilters } from '@c/api';
import { CError } from '@c/errors';
import { rawCall, readJson } from '../api-extras';
import type { GlobalOptions } from '../context';
import { connect } from '../daemon/connect';
import { humanSize } from '../output/format';

type Handler = (argv: Record<string, unknown>, globals: GlobalOptions) => Promise<void>;

async function confirm(question: string, force: boolean): Promise<boolean> {
  if (force) return true;
  process.stdout.write(`${question}\nAre you sure you want to continue? [y/N] `);
  const rl = createInterface({ input: process.stdin });
  const answer = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

async function pruneContainers(client: EngineClient): Promise<number> {
  const result = await client.containers.prune();
  const deleted = result.ContainersDeleted ?? [];
  if (deleted.length) process.stdout.write(`Deleted Containers:\n${deleted.map((id) => `${id}\n`).join('')}\n`);
  return result.SpaceReclaimed;
}

async function pruneImages(client: EngineClient, all: boolean): Promise<number> {
  const res = await rawCall(client, { method: 'POST', path: '/images/prune', query: { filters: encodeFilters({ dangling: [all ? 'false' : 'true'] }) } });
  const result = await readJson<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }> | null; SpaceReclaimed: number }>(res);
  const items = result.ImagesDeleted ?? [];
  if (items.length) {
    process.stdout.write('Deleted Images:\n');
    for (const item of items) process.stdout.write(item.Untagged ? `untagged: ${item.Untagged}\n` : `deleted: ${item.Deleted}\n`);
    process.stdout.write('\n');
  }
  return result.SpaceReclaimed;
}

const total = (bytes: number) => process.stdout.write(`Total reclaimed space: ${humanSize(bytes)}\n`);

export const containerPrune: Handler = async (argv, globals) => {
  if (!(await confirm('WARNING! This will remove all stopped containers.', Boolean(argv.force)))) return;
  total(await pruneContainers(await connect(globals)));
};

export const imagePrune: Handler = async (argv, globals) => {
  const all = Boolean(argv.all);
  const warning = all ? 'WARNING! This will remove all images without at least one container associated to them.' : 'WARNING! This will remove all dangling images.';
  if (!(await confirm(warning, Boolean(argv.force)))) return;
  total(await pruneImages(await connect(globals), all));
};

export const systemPrune: Handler = async (argv, globals) => {
  const all = Boolean(argv.all);
  const warning = `WARNING! This will remove:\n  - all stopped containers\n  - ${all ? 'all images without at least one container associated to them' : 'all dangling images'}`;
  if (!(await confirm(warning, Boolean(argv.force)))) return;
  const client = await connect(globals);
  const containers = await pruneContainers(client);
  let images = 0;
  try {
    images = await pruneImages(client, all);
  } catch (error) {
    if (!(error instanceof CError) || (error.code !== 'NOT_FOUND' && error.code !== 'UNSUPPORTED')) throw error;
    process.stderr.write(`WARNING: images not pruned: ${error.message}\n`);
  }
  total(containers + images);
};
