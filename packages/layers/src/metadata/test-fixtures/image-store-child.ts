/**
 * Fixture run in a child process by image-store.test.ts.
 *   put   <path> <prefix> <count>     put <count> records named <prefix>/img:<i>, then print "done"
 *   hold  <path>                      take the store's lock, print "holding", never let go
 *   lease <path> <id> <digest> <bind> acquire a lease (bound to this process when <bind> is "1"), exit
 *   pulls <path> <prefix> <count>     what a pull does to the store, <count> times: lease a digest, then put
 *                                     <prefix>/img:<i> releasing the lease; prints "pulled <i+1>" after each
 */
import { ImageStore } from '../image-store';

const [mode, path, a, b, c] = process.argv.slice(2);
if (!mode || !path) throw new Error('usage: mode path ...');
const store = new ImageStore(path);
const target = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${'0'.repeat(64)}`,
  size: 100,
};

if (mode === 'put') {
  for (let i = 0; i < Number(b); i++) await store.put({ name: `${a}/img:${i}`, target });
  process.stdout.write('done\n');
} else if (mode === 'hold') {
  await store.withLock(async () => {
    process.stdout.write('holding\n');
    await new Promise(() => setInterval(() => undefined, 60_000));
  });
} else if (mode === 'pulls') {
  for (let i = 0; i < Number(b); i++) {
    await store.acquireLease(`pull-${i}`, [target.digest]);
    await store.put({ name: `${a}/img:${i}`, target }, { releaseLease: `pull-${i}` });
    process.stdout.write(`pulled ${i + 1}\n`);
  }
} else if (mode === 'lease') {
  await store.acquireLease(a ?? '', [b ?? ''], { bindToProcess: c === '1' });
  process.stdout.write('leased\n');
}
