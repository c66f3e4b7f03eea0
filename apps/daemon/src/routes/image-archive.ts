/**
 * `docker save` and `docker load`: `GET /images/get?names=…` and `GET /images/{name}/get` stream a docker-archive
 * tarball; `POST /images/load` takes a docker-archive or OCI layout tarball (plain or gzip) and answers docker's
 * JSON message stream, one `Loaded image: NAME` line per name.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { CError } from '@c/errors';
import type { RequestContext, Route } from '../http/router';

/** What the engine's ImageService offers for these routes; a backend without them (unit-test fakes) answers 501. */
interface ImageArchiveBackend {
  saveImages(names: readonly string[]): Promise<Readable>;
  loadImages(source: AsyncIterable<Uint8Array>): Promise<Array<{ id: string; names: string[] }>>;
}

function archivesOf(images: object): ImageArchiveBackend {
  const candidate = images as Partial<ImageArchiveBackend>;
  if (typeof candidate.saveImages !== 'function' || typeof candidate.loadImages !== 'function') {
    throw new CError('UNSUPPORTED', "this daemon's image backend cannot save or load images", { hint: "run the daemon over the engine's image service" });
  }
  return candidate as ImageArchiveBackend;
}

async function sendArchive(images: object, names: string[], res: ServerResponse): Promise<void> {
  if (names.length === 0) throw new CError('INVALID_ARGUMENT', 'no image names given', { hint: 'GET /images/get?names=NAME&names=…' });
  // Resolving the names happens before the first byte: an unknown image is a plain 404.
  const tar = await archivesOf(images).saveImages(names);
  res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  res.on('close', () => tar.destroy());
  // A failure half-way can only cut the stream: the client sees a truncated tar, as with dockerd.
  await pipeline(tar, res).catch(() => res.destroy());
}

/** The body, gunzipped when it starts with gzip's magic (docker load takes compressed archives too). */
async function* bodyOf(req: Readable): AsyncGenerator<Uint8Array> {
  const iterator = req[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await iterator.next();
  if (first.done) return;
  const head = first.value;
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    const { Readable: ReadableStream } = await import('node:stream');
    void pipeline(ReadableStream.from(rest()), gunzip).catch((error: unknown) => gunzip.destroy(error as Error));
    yield* gunzip;
  } else yield* rest();
}

async function load(images: object, { req, res }: RequestContext): Promise<void> {
  const loaded = await archivesOf(images).loadImages(bodyOf(req));
  if (loaded.length === 0) throw new CError('INVALID_ARGUMENT', 'the archive holds no image', { hint: 'give a tar made by c save or docker save' });
  res.writeHead(200, { 'Content-Type': 'application/json' });
  for (const image of loaded) {
    const lines = image.names.length > 0 ? image.names.map((name) => `Loaded image: ${name}\n`) : [`Loaded image ID: ${image.id}\n`];
    for (const stream of lines) res.write(`${JSON.stringify({ stream })}\n`);
  }
  res.end();
}

export function imageArchiveRoutes(images: object): Route[] {
  return [
    { method: 'GET', pattern: '/images/get', handler: ({ res, query }) => sendArchive(images, query.getAll('names').flatMap((n) => n.split(',')).filter(Boolean), res) },
    { method: 'GET', pattern: '/images/{name*}/get', handler: ({ res, params }) => sendArchive(images, [params.name ?? ''], res) },
    { method: 'POST', pattern: '/images/load', handler: (context) => load(images, context) },
  ];
}
