/**
 * Fixture run in a child process by content-store.test.ts.
 *   partial <root> <digest> <size> <payload> <bytes>  write <bytes>, print "wrote", then hang (to be killed)
 *   full    <root> <digest> <size> <payload>          print "ready", wait for a stdin line, then resume,
 *                                                     write the rest in small chunks and commit
 *   oneshot <root> <digest> <size> <payload>          write it all and commit, nothing else keeping the
 *                                                     process alive: it must still print "committed"
 * Environment: HASH_OFF_THREAD_FROM and WRITE_BATCH_BYTES set the store's and the ingest's options.
 */
import { readFile } from 'node:fs/promises';
import { ContentStore } from '../content-store';

const [mode, root, digest, sizeText, payloadPath, bytesText] = process.argv.slice(2);
if (!mode || !root || !digest || !sizeText || !payloadPath) throw new Error('usage: mode root digest size payload');

const payload = await readFile(payloadPath);
const offThread = process.env.HASH_OFF_THREAD_FROM;
const store = new ContentStore(root, offThread === undefined ? {} : { hashOffThreadFrom: Number(offThread) });
const writeBatchBytes = Number(process.env.WRITE_BATCH_BYTES ?? 0);
if (mode === 'full') {
  // Start barrier: the parent releases all writers at once, so their ingests really overlap.
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
}
const ingest = await store.ingest(digest, Number(sizeText), { writeBatchBytes });
process.stdout.write(`opened offset=${ingest.offset}\n`);

if (mode === 'partial') {
  const end = Number(bytesText);
  await ingest.write(payload.subarray(ingest.offset, end));
  process.stdout.write(`wrote ${end}\n`);
  setInterval(() => undefined, 60_000); // hold the ingest open until killed
} else if (mode === 'oneshot') {
  await ingest.write(payload);
  await ingest.commit();
  process.stdout.write('committed\n');
} else {
  const chunk = 64 * 1024;
  for (let at = ingest.offset; at < payload.length; at += chunk) {
    await ingest.write(payload.subarray(at, Math.min(at + chunk, payload.length)));
    process.stdout.write(`progress ${Math.min(at + chunk, payload.length)}\n`);
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
  await ingest.commit();
  process.stdout.write(`committed\n`);
  process.stdin.destroy();
}
