/**
 * `c image mount REF…` prints the path of a read-only view of each image's rootfs (podman's `image mount`);
 * `c image unmount REF…` releases one mount of each (all with `--all`). The daemon keeps the count, so two
 * mounts of one image need two unmounts, as in podman.
 */
import { rawCall, readJson } from '../api-extras';
import type { GlobalOptions } from '../context';
import { connect } from '../daemon/connect';

interface MountReply {
  Id: string;
  Path: string;
  Count: number;
}

function names(argv: Record<string, unknown>): string[] {
  return (argv.images as unknown[]).map(String);
}

export async function mount(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const client = await connect(globals);
  for (const name of names(argv)) {
    const reply = await readJson<MountReply>(await rawCall(client, { method: 'POST', path: `/images/${encodeURIComponent(name)}/mount` }));
    process.stdout.write(`${reply.Path}\n`);
  }
}

export async function unmount(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const client = await connect(globals);
  const query: Record<string, string> = argv.all ? { all: '1' } : {};
  for (const name of names(argv)) {
    const reply = await readJson<MountReply>(await rawCall(client, { method: 'POST', path: `/images/${encodeURIComponent(name)}/unmount`, query }));
    // podman prints the id of each image it unmounted; one that is still mounted elsewhere prints nothing.
    if (reply.Count === 0) process.stdout.write(`${reply.Id.replace(/^sha256:/, '')}\n`);
  }
}
