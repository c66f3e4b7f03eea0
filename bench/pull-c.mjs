#!/usr/bin/env node
// bench/pull-c.mjs REF ROOT MODE: one `c pull` as the engine runs it (ImageService from @c/engine's built dist,
// the store at ROOT), in a fresh process like a CLI or a cold daemon request. MODE `download` stops once the blobs
// are verified in the content store (what `skopeo copy … oci:` does); `unpack` also unpacks every layer into
// committed snapshots (what `podman pull` does). Prints {"ms": <in-process time>, "mode": …} on stdout.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [ref, root, mode = 'download'] = process.argv.slice(2);
if (!ref || !root || !['download', 'unpack'].includes(mode)) {
  process.stderr.write('usage: bench/pull-c.mjs REF ROOT download|unpack\n');
  process.exit(2);
}
const dist = join(fileURLToPath(new URL('.', import.meta.url)), '../packages/engine/dist/images/index.js');
const started = performance.now();
const { createImageService } = await import(dist);
const imported = performance.now();
const service = createImageService({ root });
await service.pull(ref, { unpack: mode === 'unpack' });
const ms = performance.now() - started;
process.stdout.write(`${JSON.stringify({ ms, importMs: imported - started, mode })}\n`);
