import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isCError } from '@c/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentStore } from './content-store';
import { fixturePath, killAllChildren, spawnTsChild } from './test-fixtures/child-process';
import { codeOf } from '../util/testing';

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

let root: string;
let store: ContentStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'c-content-'));
  store = new ContentStore(join(root, 'content'));
});

afterEach(async () => {
  await killAllChildren();
  await rm(root, { recursive: true, force: true });
});

describe('small blobs', () => {
  it('writes, reads, lists, describes and deletes a blob', async () => {
    const bytes = Buffer.from('{"schemaVersion":2}');
    const digest = sha256(bytes);
    expect(await store.has(digest)).toBe(false);
    expect(await store.writeBlob(bytes)).toEqual({ digest, size: bytes.length });
    expect(await store.has(digest)).toBe(true);
    expect(await store.size(digest)).toBe(bytes.length);
    expect(Buffer.from(await store.read(digest)).toString()).toBe('{"schemaVersion":2}');
    expect((await store.info(digest)).size).toBe(bytes.length);
    expect(await collect(store.list())).toEqual([{ digest, size: bytes.length }]);

    const path = join(root, 'content/blobs/sha256', digest.slice(7));
    expect((await stat(path)).mode & 0o777).toBe(0o444);
    expect(await readdir(join(root, 'content/ingest'))).toEqual([]);

    await store.delete(digest);
    expect(await store.has(digest)).toBe(false);
    expect(await codeOf(store.delete(digest))).toBe('NOT_FOUND');
    expect(await codeOf(store.read(digest))).toBe('NOT_FOUND');
    expect(await codeOf(store.open(digest))).toBe('NOT_FOUND');
  });

  it('refuses a blob whose bytes do not match the expected digest', async () => {
    const digest = sha256(Buffer.from('right'));
    expect(await codeOf(store.writeBlob(Buffer.from('wrong'), digest))).toBe('DIGEST_MISMATCH');
    expect(await store.has(digest)).toBe(false);
    expect(await collect(store.list())).toEqual([]);
  });

  it('re-verifies on read and bounds what read() loads', async () => {
    const bytes = randomBytes(4096);
    const { digest } = await store.writeBlob(bytes);
    expect(await codeOf(store.read(digest, { maxSize: 4095 }))).toBe('LIMIT_EXCEEDED');
    const path = join(root, 'content/blobs/sha256', digest.slice(7));
    await chmod(path, 0o644);
    await writeFile(path, Buffer.concat([bytes.subarray(1), Buffer.from('x')]));
    expect(await codeOf(store.read(digest))).toBe('DIGEST_MISMATCH');
  });

  it('read() serves small blobs from memory, yet notices a blob deleted or damaged by another process', async () => {
    const bytes = randomBytes(512);
    const { digest } = await store.writeBlob(bytes);
    const first = await store.read(digest);
    first.fill(0); // the caller's copy: the cache keeps its own
    expect(Buffer.from(await store.read(digest)).equals(bytes)).toBe(true);
    // Another process (here: another instance, as the CLI without the daemon would be) collects it.
    await new ContentStore(join(root, 'content')).delete(digest);
    expect(await codeOf(store.read(digest))).toBe('NOT_FOUND');
    // Stored again, then damaged in place (same inode, same size): re-verified, not served from memory.
    await store.writeBlob(bytes);
    expect(Buffer.from(await store.read(digest)).equals(bytes)).toBe(true);
    const path = join(root, 'content/blobs/sha256', digest.slice(7));
    await chmod(path, 0o644);
    await writeFile(path, Buffer.concat([bytes.subarray(1), Buffer.from('x')]));
    expect(await codeOf(store.read(digest))).toBe('DIGEST_MISMATCH');
  });

  it('with readCacheBytes: 0, read() still returns the verified bytes', async () => {
    const uncached = new ContentStore(join(root, 'content'), { readCacheBytes: 0 });
    const { digest } = await uncached.writeBlob(Buffer.from('{"a":1}'));
    expect(Buffer.from(await uncached.read(digest)).toString()).toBe('{"a":1}');
    expect(Buffer.from(await uncached.read(digest)).toString()).toBe('{"a":1}');
  });

  it('reports an unusable store root as a SYSCALL error naming the directory', async () => {
    await writeFile(join(root, 'file'), '');
    const broken = new ContentStore(join(root, 'file', 'content'));
    const error = await broken.writeBlob(Buffer.from('x')).catch((caught: unknown) => caught);
    expect(isCError(error, 'SYSCALL')).toBe(true);
    expect((error as Error).message).toContain(join(root, 'file', 'content'));
  });

  it('streams a blob from an offset', async () => {
    const bytes = randomBytes(200_000);
    const { digest } = await store.writeBlob(bytes);
    const chunks: Buffer[] = [];
    for await (const chunk of await store.open(digest, { start: 1000 })) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(bytes.subarray(1000))).toBe(true);
    expect(await codeOf(store.open(digest, { start: -1 }))).toBe('INVALID_ARGUMENT');
  });
});

describe('digest validation', () => {
  const bad = [
    '../../../etc/passwd',
    'sha256:../../../../etc/passwd',
    `sha256:${'A'.repeat(64)}`,
    `sha256:${'a'.repeat(63)}`,
    `sha256:${'a'.repeat(64)}\n`,
    `sha256:${'a'.repeat(64)}/..`,
    `sha512:${'a'.repeat(64)}`,
    '',
  ];

  it.each(bad)('rejects %j everywhere with INVALID_ARGUMENT', async (digest) => {
    expect(await codeOf(store.has(digest))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(store.size(digest))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(store.open(digest))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(store.read(digest))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(store.delete(digest))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(store.ingest(digest, 1))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(store.writeBlob(Buffer.from('x'), digest))).toBe('INVALID_ARGUMENT');
  });

  it('refuses well-formed digests of algorithms it does not compute', async () => {
    expect(await codeOf(store.has(`md5:${'a'.repeat(32)}`))).toBe('UNSUPPORTED');
    expect(await codeOf(store.ingest(`sha384:${'a'.repeat(96)}`, 1))).toBe('UNSUPPORTED');
  });

  it('rejects ingest refs that are not refs', async () => {
    for (const ref of ['..', '../blobs', 'import-../../x', 'locks']) {
      expect(await codeOf(store.abortIngest(ref))).toBe('INVALID_ARGUMENT');
    }
  });

  it('accepts sha512 digests', async () => {
    const bytes = Buffer.from('five-twelve');
    const digest = `sha512:${createHash('sha512').update(bytes).digest('hex')}`;
    expect((await store.writeBlob(bytes, digest)).digest).toBe(digest);
    expect(await store.has(digest)).toBe(true);
    expect((await collect(store.list())).map((blob) => blob.digest)).toEqual([digest]);
  });
});

// Every ingest test runs with the digest computed on this thread and on the hashing worker.
const HASHING = [
  { hashing: 'inline', hashOffThreadFrom: Number.POSITIVE_INFINITY },
  { hashing: 'off-thread', hashOffThreadFrom: 0 },
];

describe.each(HASHING)('ingest, $hashing hashing', ({ hashOffThreadFrom }) => {
  const payload = randomBytes(300_000);
  const digest = sha256(payload);

  beforeEach(() => {
    store = new ContentStore(join(root, 'content'), { hashOffThreadFrom });
  });

  it('makes the blob visible only at commit', async () => {
    const ingest = await store.ingest(digest, payload.length);
    expect(ingest.offset).toBe(0);
    await ingest.write(payload.subarray(0, 100_000));
    await ingest.write(payload.subarray(100_000));
    expect(await store.has(digest)).toBe(false);
    expect(await collect(store.list())).toEqual([]);
    await ingest.commit();
    expect(Buffer.from(await store.read(digest)).equals(payload)).toBe(true);
    expect(await store.listIngests()).toEqual([]);
    expect(await codeOf(ingest.write(Buffer.from('x')))).toBe('CONFLICT');
  });

  it('ingests an empty blob', async () => {
    const empty = sha256(Buffer.alloc(0));
    const ingest = await store.ingest(empty, 0);
    expect(ingest.offset).toBe(0);
    await ingest.commit();
    expect(await store.size(empty)).toBe(0);
    expect((await store.read(empty)).byteLength).toBe(0);
  });

  it('resumes after close(): offset is what was written, the digest covers the prefix', async () => {
    const first = await store.ingest(digest, payload.length);
    await first.write(payload.subarray(0, 123_457));
    await first.close();
    const [status] = await store.listIngests();
    expect(status).toMatchObject({ ref: digest.slice(7), digest, expectedSize: payload.length, offset: 123_457, active: false });

    const second = await store.ingest(digest, payload.length);
    expect(second.offset).toBe(123_457);
    await second.write(payload.subarray(123_457));
    await second.commit();
    expect(Buffer.from(await store.read(digest)).equals(payload)).toBe(true);
  });

  it('a resumed prefix with wrong bytes fails the digest check and is discarded', async () => {
    const first = await store.ingest(digest, payload.length);
    const corrupt = Buffer.from(payload.subarray(0, 1000));
    corrupt[10] = (corrupt[10] ?? 0) ^ 0xff;
    await first.write(corrupt);
    await first.close();
    const second = await store.ingest(digest, payload.length);
    expect(second.offset).toBe(1000);
    await second.write(payload.subarray(1000));
    expect(await codeOf(second.commit())).toBe('DIGEST_MISMATCH');
    expect(await store.has(digest)).toBe(false);
    expect(await store.listIngests()).toEqual([]);
    const third = await store.ingest(digest, payload.length);
    expect(third.offset).toBe(0);
    await third.abort();
  });

  it('discards on digest mismatch, on overflow and on a short commit', async () => {
    const wrong = await store.ingest(digest, payload.length);
    await wrong.write(randomBytes(payload.length));
    expect(await codeOf(wrong.commit())).toBe('DIGEST_MISMATCH');
    expect(await store.listIngests()).toEqual([]);

    const overflow = await store.ingest(digest, payload.length);
    await overflow.write(payload);
    expect(await codeOf(overflow.write(Buffer.from('!')))).toBe('DIGEST_MISMATCH');
    expect(await store.listIngests()).toEqual([]);

    const short = await store.ingest(digest, payload.length);
    await short.write(payload.subarray(0, 10));
    expect(await codeOf(short.commit())).toBe('DIGEST_MISMATCH');
    expect(await store.has(digest)).toBe(false);
    expect(await store.listIngests()).toEqual([]);
  });

  it('restarts when the partial belongs to another size or is longer than the blob', async () => {
    const first = await store.ingest(digest, payload.length + 5);
    await first.write(payload.subarray(0, 5000));
    await first.close();
    const second = await store.ingest(digest, payload.length);
    expect(second.offset).toBe(0);
    await second.abort();
  });

  it('an ingest of a committed blob has nothing left to write', async () => {
    await store.writeBlob(payload);
    const ingest = await store.ingest(digest, payload.length);
    expect(ingest.offset).toBe(payload.length);
    await ingest.commit();
    expect(await codeOf(store.ingest(digest, payload.length - 1))).toBe('DIGEST_MISMATCH');
  });

  it('replaces a committed blob damaged on disk instead of failing every later pull', async () => {
    await store.writeBlob(payload);
    const path = join(root, 'content/blobs/sha256', digest.slice(7));
    await chmod(path, 0o644);
    await writeFile(path, payload.subarray(0, 1000)); // truncated by a disk problem
    expect(await store.verify(digest)).toBe(false);
    const ingest = await store.ingest(digest, payload.length);
    expect(ingest.offset).toBe(0);
    await ingest.write(payload);
    await ingest.commit();
    expect(await store.verify(digest)).toBe(true);
    expect(Buffer.from(await store.read(digest)).equals(payload)).toBe(true);
  });

  it('abort() drops the partial; abortIngest refuses while a writer is active', async () => {
    const ingest = await store.ingest(digest, payload.length);
    await ingest.write(payload.subarray(0, 10));
    expect(await store.listIngests()).toMatchObject([{ active: true, offset: 10 }]);
    expect(await codeOf(store.abortIngest(digest))).toBe('CONFLICT');
    await ingest.close();
    expect(await store.abortIngest(digest)).toBe(true);
    expect(await store.abortIngest(digest)).toBe(false);
    expect(await store.listIngests()).toEqual([]);

    const again = await store.ingest(digest, payload.length);
    await again.write(payload.subarray(0, 10));
    await again.abort();
    expect(await store.listIngests()).toEqual([]);
  });

  it('serialises two ingests of the same digest in one process', async () => {
    const first = await store.ingest(digest, payload.length);
    let secondOpened = false;
    const secondPromise = store.ingest(digest, payload.length).then((ingest) => {
      secondOpened = true;
      return ingest;
    });
    await first.write(payload.subarray(0, 150_000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(secondOpened).toBe(false); // waits for the lock
    await first.write(payload.subarray(150_000));
    await first.commit();
    const second = await secondPromise;
    expect(second.offset).toBe(payload.length); // sees the committed blob
    await second.commit();
    expect(Buffer.from(await store.read(digest)).equals(payload)).toBe(true);
  });

  it('fails with UNAVAILABLE when another writer holds the digest too long', async () => {
    const impatient = new ContentStore(join(root, 'content'), { ingestLockTimeoutMs: 150 });
    const first = await store.ingest(digest, payload.length);
    expect(await codeOf(impatient.ingest(digest, payload.length))).toBe('UNAVAILABLE');
    await first.abort();
  });

  it('with writeBatchBytes, gathers writes until a batch is full; commit and close write the rest', async () => {
    const dataFile = join(root, 'content/ingest', digest.slice(7), 'data');
    const batched = await store.ingest(digest, payload.length, { writeBatchBytes: 100_000 });
    await batched.write(payload.subarray(0, 60_000));
    expect((await stat(dataFile)).size).toBe(0); // gathered
    await batched.write(payload.subarray(60_000, 130_000));
    expect((await stat(dataFile)).size).toBe(130_000); // one writev of both chunks
    await batched.write(payload.subarray(130_000, 150_000));
    await batched.close();
    expect((await stat(dataFile)).size).toBe(150_000);

    const resumed = await store.ingest(digest, payload.length, { writeBatchBytes: 1 << 20 });
    expect(resumed.offset).toBe(150_000);
    for (let at = 150_000; at < payload.length; at += 7_000) await resumed.write(payload.subarray(at, Math.min(at + 7_000, payload.length)));
    await resumed.commit();
    expect(Buffer.from(await store.read(digest)).equals(payload)).toBe(true);
    expect(await codeOf(store.ingest(digest, payload.length, { writeBatchBytes: -1 }))).toBe('INVALID_ARGUMENT');
  });

  it('with writeBatchBytes, abort drops the gathered bytes and an overflow is caught before they are written', async () => {
    const batched = await store.ingest(digest, payload.length, { writeBatchBytes: 1 << 20 });
    await batched.write(payload);
    expect(await codeOf(batched.write(Buffer.from('!')))).toBe('DIGEST_MISMATCH');
    expect(await store.listIngests()).toEqual([]);
    const again = await store.ingest(digest, payload.length, { writeBatchBytes: 1 << 20 });
    expect(again.offset).toBe(0);
    await again.write(payload.subarray(0, 1000));
    await again.abort();
    expect(await store.listIngests()).toEqual([]);
  });
});

describe('hashing off the main thread', () => {
  it('hashes many large blobs at once, each from its own file, and still catches a wrong one', async () => {
    const offThread = new ContentStore(join(root, 'content'), { hashOffThreadFrom: 1 });
    const payloads = [0, 1, 2, 3].map((i) => randomBytes(3 * 1024 * 1024 + i * 1001));
    await Promise.all(
      payloads.map(async (bytes) => {
        const ingest = await offThread.ingest(sha256(bytes), bytes.length, { writeBatchBytes: 1 << 20 });
        for (let at = 0; at < bytes.length; at += 65_536) await ingest.write(bytes.subarray(at, Math.min(at + 65_536, bytes.length)));
        await ingest.commit();
      }),
    );
    for (const bytes of payloads) expect(await offThread.verify(sha256(bytes))).toBe(true);
    const claimed = randomBytes(payloads[0]!.length);
    const wrong = await offThread.ingest(sha256(claimed), claimed.length, { writeBatchBytes: 1 << 20 });
    await wrong.write(payloads[0]!);
    expect(await codeOf(wrong.commit())).toBe('DIGEST_MISMATCH');
    expect(await offThread.has(sha256(claimed))).toBe(false);
  });
});

describe.each(HASHING)('ingest across processes, $hashing hashing', ({ hashOffThreadFrom }) => {
  const payload = randomBytes(2 * 1024 * 1024 + 17);
  const digest = sha256(payload);
  const fixture = fixturePath(import.meta.url, 'test-fixtures/ingest-child.ts');
  const env = { HASH_OFF_THREAD_FROM: String(hashOffThreadFrom) };

  beforeEach(() => {
    store = new ContentStore(join(root, 'content'), { hashOffThreadFrom });
  });

  async function payloadFile(): Promise<string> {
    const path = join(root, 'payload');
    await writeFile(path, payload);
    return path;
  }

  it('resumes what a writer killed with SIGKILL left, taking over its lock', async () => {
    const content = join(root, 'content');
    const child = spawnTsChild(fixture, ['partial', content, digest, String(payload.length), await payloadFile(), '777777'], env);
    await child.waitForLine('wrote 777777');
    expect(await store.listIngests()).toMatchObject([{ active: true, offset: 777_777 }]);
    child.process.kill('SIGKILL');
    expect(await child.exited).toBe('SIGKILL');
    expect(await store.listIngests()).toMatchObject([{ active: false, offset: 777_777 }]);

    const resumed = await store.ingest(digest, payload.length);
    expect(resumed.offset).toBe(777_777);
    await resumed.write(payload.subarray(777_777));
    await resumed.commit();
    expect(Buffer.from(await store.read(digest)).equals(payload)).toBe(true);
  });

  it('survives repeated SIGKILLs at arbitrary points of a write and resumes each time', async () => {
    const content = join(root, 'content');
    const file = await payloadFile();
    const offsets: number[] = [];
    for (let round = 0; round < 5; round++) {
      // Batched writes, as a pull makes them: a kill loses at most the batch not yet written.
      const child = spawnTsChild(fixture, ['full', content, digest, String(payload.length), file], { ...env, WRITE_BATCH_BYTES: String(128 * 1024) });
      await child.waitForLine('ready');
      child.process.stdin?.write('go\n');
      offsets.push(Number((await child.waitForLine('opened')).split('=')[1]));
      // Let it write a few chunks, then kill it wherever it is (mid-write, mid-sleep, or committing).
      await child.waitForLine(`progress ${Math.min(payload.length, (offsets.at(-1) ?? 0) + 3 * 64 * 1024)}`).catch(() => '');
      child.process.kill('SIGKILL');
      await child.exited;
      if (await store.has(digest)) break;
    }
    expect(offsets[0]).toBe(0);
    expect(offsets.slice(1).every((offset) => offset > 0)).toBe(true); // every restart resumed
    const last = await store.ingest(digest, payload.length);
    await last.write(payload.subarray(last.offset));
    await last.commit();
    expect(await store.verify(digest)).toBe(true);
    expect(Buffer.from(await store.read(digest)).equals(payload)).toBe(true);
    expect(await store.listIngests()).toEqual([]);
    // Up to five node+tsx children one after the other: 10 s at load 10 here, too close to the 20 s default.
  }, 60_000);

  it('pruneLocks removes the lock of a killed writer once its ingest is gone, and nothing else', async () => {
    const content = join(root, 'content');
    const child = spawnTsChild(fixture, ['partial', content, digest, String(payload.length), await payloadFile(), '1000'], env);
    await child.waitForLine('wrote 1000');
    const live = await store.ingest(sha256(Buffer.from('live')), 4);
    expect(await store.pruneLocks()).toBe(0); // both writers alive
    child.process.kill('SIGKILL');
    await child.exited;
    expect(await store.pruneLocks()).toBe(0); // its ingest can still be resumed
    expect(await store.abortIngest(digest)).toBe(true);
    const lockFiles = async () => (await readdir(join(content, 'locks'))).sort();
    await writeFile(join(content, 'locks', `ingest-${digest.slice(7)}.lock`), String(child.process.pid));
    expect(await lockFiles()).toHaveLength(2);
    expect(await store.pruneLocks()).toBe(1);
    expect(await lockFiles()).toEqual([`ingest-${sha256(Buffer.from('live')).slice(7)}.lock`]);
    await live.abort();
  });

  it('a process whose last act is a commit finishes it and exits normally', async () => {
    const child = spawnTsChild(fixture, ['oneshot', join(root, 'content'), digest, String(payload.length), await payloadFile()], env);
    expect(await child.exited, child.stderr()).toBe(0);
    await child.waitForLine('committed');
    expect(await store.verify(digest)).toBe(true);
  });

  it('two processes ingesting the same blob both succeed and the blob is intact', async () => {
    const content = join(root, 'content');
    const file = await payloadFile();
    const children = [0, 1].map(() => spawnTsChild(fixture, ['full', content, digest, String(payload.length), file], env));
    await Promise.all(children.map((child) => child.waitForLine('ready')));
    for (const child of children) child.process.stdin?.write('go\n');
    const codes = await Promise.all(children.map((child) => child.exited));
    expect(codes, children.map((child) => child.stderr()).join('\n')).toEqual([0, 0]);
    const offsets = await Promise.all(children.map((child) => child.waitForLine('opened')));
    // One wrote everything; the other waited for the lock and found the blob committed.
    expect(offsets.sort()).toEqual([`opened offset=${payload.length}`, 'opened offset=0'].sort());
    expect(Buffer.from(await store.read(digest)).equals(payload)).toBe(true);
    expect(await store.listIngests()).toEqual([]);
  });
});

describe('importStream', () => {
  it('computes the digest of a stream while storing it', async () => {
    const bytes = randomBytes(500_000);
    const result = await store.importStream(Readable.from([bytes.subarray(0, 1), bytes.subarray(1)]));
    expect(result).toEqual({ digest: sha256(bytes), size: bytes.length });
    expect(Buffer.from(await readFile(join(root, 'content/blobs/sha256', result.digest.slice(7)))).equals(bytes)).toBe(true);
    expect(await store.listIngests()).toEqual([]);
  });

  it('keeps nothing when the stream does not match what was expected', async () => {
    const bytes = randomBytes(1000);
    const other = sha256(Buffer.from('other'));
    expect(await codeOf(store.importStream(Readable.from([bytes]), { expectedDigest: other }))).toBe('DIGEST_MISMATCH');
    expect(await codeOf(store.importStream(Readable.from([bytes]), { size: 999 }))).toBe('DIGEST_MISMATCH');
    expect(await codeOf(store.importStream(Readable.from([bytes]), { size: 1001 }))).toBe('DIGEST_MISMATCH');
    expect(await codeOf(store.importStream(Readable.from([bytes]), { maxSize: 500 }))).toBe('LIMIT_EXCEEDED');
    expect(await collect(store.list())).toEqual([]);
    expect(await store.listIngests()).toEqual([]);
  });

  it('cleans up when the source stream fails', async () => {
    async function* failing() {
      yield Buffer.from('partial');
      throw new Error('source went away');
    }
    await expect(store.importStream(failing())).rejects.toThrow('source went away');
    expect(await store.listIngests()).toEqual([]);
  });
});
