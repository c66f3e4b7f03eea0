import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CError } from '@c/errors';
import { startDaemon, type RunningDaemon } from '../daemon';
import { MemoryImages } from '../testing/memory-images';

function post(socketPath: string, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** MemoryImages plus the engine's mount/unmount/prune, recording how they were called. */
class MountableImages extends MemoryImages {
  readonly storageCalls: string[] = [];
  private count = 0;
  async mount(name: string) {
    this.storageCalls.push(`mount ${name}`);
    if (name === 'missing') throw new CError('NOT_FOUND', `No such image: ${name}`);
    return { id: `sha256:${'a'.repeat(64)}`, path: `/var/lib/c/mounts/${'a'.repeat(64)}`, count: ++this.count };
  }
  async unmount(name: string, options: { all?: boolean } = {}) {
    this.storageCalls.push(`unmount ${name} all=${Boolean(options.all)}`);
    this.count = options.all ? 0 : this.count - 1;
    return { id: `sha256:${'a'.repeat(64)}`, path: `/var/lib/c/mounts/${'a'.repeat(64)}`, count: this.count };
  }
  async prune(options: { all?: boolean } = {}) {
    this.storageCalls.push(`prune all=${Boolean(options.all)}`);
    return options.all ? { ImagesDeleted: [{ Untagged: 'busybox:latest' }], SpaceReclaimed: 4096 } : { ImagesDeleted: [], SpaceReclaimed: 0 };
  }
}

describe('image storage routes', () => {
  let dir: string;
  let socket: string;
  let daemon: RunningDaemon;

  async function start(images: MemoryImages): Promise<void> {
    daemon = await startDaemon({ config: { sockets: [socket], root: join(dir, 'root') }, images });
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'c-daemon-storage-'));
    socket = join(dir, 'c.sock');
  });

  afterEach(async () => {
    await daemon?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('mounts and unmounts by name (slashes and tags encoded), returning { Path }', async () => {
    const images = new MountableImages();
    await start(images);
    const name = encodeURIComponent('127.0.0.1:5000/team/app:1');
    expect(await post(socket, `/v1.43/images/${name}/mount`)).toEqual({ status: 200, body: { Id: `sha256:${'a'.repeat(64)}`, Path: `/var/lib/c/mounts/${'a'.repeat(64)}`, Count: 1 } });
    expect((await post(socket, `/images/${name}/mount`)).body).toMatchObject({ Count: 2 });
    expect((await post(socket, `/images/${name}/unmount?all=1`)).body).toMatchObject({ Count: 0 });
    expect(images.storageCalls).toEqual(['mount 127.0.0.1:5000/team/app:1', 'mount 127.0.0.1:5000/team/app:1', 'unmount 127.0.0.1:5000/team/app:1 all=true']);
    const missing = await post(socket, '/images/missing/mount');
    expect(missing).toEqual({ status: 404, body: { message: 'No such image: missing' } });
  });

  it('prunes dangling content by default and every unused image with dangling=false (docker image prune -a)', async () => {
    const images = new MountableImages();
    await start(images);
    expect(await post(socket, '/images/prune')).toEqual({ status: 200, body: { ImagesDeleted: null, SpaceReclaimed: 0 } });
    const all = await post(socket, `/images/prune?filters=${encodeURIComponent('{"dangling":["false"]}')}`);
    expect(all).toEqual({ status: 200, body: { ImagesDeleted: [{ Untagged: 'busybox:latest' }], SpaceReclaimed: 4096 } });
    expect(images.storageCalls).toEqual(['prune all=false', 'prune all=true']);
  });

  it('answers 501 when the image backend cannot mount', async () => {
    await start(new MemoryImages());
    const result = await post(socket, '/images/busybox/mount');
    expect(result.status).toBe(501);
  });
});
