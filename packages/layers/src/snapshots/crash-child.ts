/**
 * Test helper run as a child process (node --conditions=c-source --import tsx): unpacks an image from blob
 * files, but the last layer's stream stops halfway and never ends, after printing READY. The test then
 * kills this process with SIGKILL, as a crash would.
 */
import { readFileSync } from 'node:fs';
import { CopySnapshotter } from './copy';
import { unpackImage } from './unpack';

const [store, imageJson] = process.argv.slice(2) as [string, string];
const image = JSON.parse(readFileSync(imageJson, 'utf8')) as { layers: { digest: string; mediaType: string; size: number }[]; diffIds: string[]; blobDir: string };
const last = image.layers.at(-1)!.digest;

async function* stalling(data: Buffer): AsyncGenerator<Buffer> {
  yield data.subarray(0, data.length >> 1);
  process.stdout.write('READY\n');
  await new Promise(() => undefined);
}

const open = (layer: { digest: string }) => {
  const data = readFileSync(`${image.blobDir}/${layer.digest.slice(7)}`);
  return layer.digest === last ? stalling(data) : (async function* () { yield data; })();
};

await unpackImage(image, open, new CopySnapshotter(store));
process.stdout.write('DONE\n');
