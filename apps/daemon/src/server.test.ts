import { lstat, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineClient, decodeRegistryAuth, encodeRegistryAuth, parseNdjson, type ProgressMessage } from '@c/api';
import { CError, isCError } from '@c/errors';
import { startDaemon, type RunningDaemon } from './daemon';
import { closeServer, createDaemonServer, listenUnix } from './server';
import { MemoryImages } from './testing/memory-images';
import { readHostFacts } from './system/host';

const IMAGE = { id: 'sha256:' + '1'.repeat(64), digest: 'sha256:' + '2'.repeat(64), created: '2024-01-01T00:00:00Z', size: 1234 };

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function raw(
  socketPath: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('daemon API over a unix socket', () => {
  let dir: string;
  let images: MemoryImages;
  let daemon: RunningDaemon;
  let socket: string;
  let client: EngineClient;
  const logs: string[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'c-daemon-test-'));
    images = new MemoryImages();
    socket = join(dir, 'run', 'c.sock');
    daemon = await startDaemon({ config: { sockets: [socket], root: join(dir, 'root') }, images, log: (l) => logs.push(l) });
    client = new EngineClient({ socketPath: socket, timeoutMs: 5000 });
  });

  afterEach(async () => {
    await daemon.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the socket with mode 0660 and removes it on close', async () => {
    expect((await stat(socket)).mode & 0o777).toBe(0o660);
    await daemon.close();
    await expect(stat(socket)).rejects.toMatchObject({ code: 'ENOENT' });
    daemon = await startDaemon({ config: { sockets: [socket], root: join(dir, 'root') }, images });
  });

  it('answers _ping with Docker headers, GET and HEAD', async () => {
    const get = await raw(socket, 'GET', '/_ping');
    expect(get.status).toBe(200);
    expect(get.body).toBe('OK');
    expect(get.headers['api-version']).toBe('1.43');
    expect(get.headers.ostype).toBe('linux');
    expect(get.headers['builder-version']).toBe('1');
    expect(get.headers['docker-experimental']).toBe('false');
    expect(get.headers['cache-control']).toMatch(/no-cache/);
    expect(get.headers.server).toMatch(/^c\/\d+\.\d+\.\d+ \(linux\)$/);
    const head = await raw(socket, 'HEAD', '/v1.24/_ping');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(await client.ping()).toMatchObject({ apiVersion: '1.43', osType: 'linux' });
  });

  it('serves versioned and unversioned paths, refuses versions outside 1.24-1.43', async () => {
    expect((await raw(socket, 'GET', '/version')).status).toBe(200);
    expect((await raw(socket, 'GET', '/v1.24/version')).status).toBe(200);
    const tooNew = await raw(socket, 'GET', '/v1.99/info');
    expect(tooNew.status).toBe(400);
    expect(JSON.parse(tooNew.body)).toEqual({ message: 'client version 1.99 is too new. Maximum supported API version is 1.43' });
    expect(tooNew.headers['api-version']).toBe('1.43');
    const tooOld = await raw(socket, 'GET', '/v1.12/info');
    expect(tooOld.status).toBe(400);
    expect(JSON.parse(tooOld.body).message).toMatch(/too old/);
  });

  it('answers unknown endpoints with 404 page not found', async () => {
    const res = await raw(socket, 'GET', '/v1.43/swarm');
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toEqual({ message: 'page not found' });
    expect(res.headers.server).toMatch(/^c\//);
    expect((await raw(socket, 'PUT', '/images/json')).status).toBe(404);
  });

  it('reports version and info in the shape the docker CLI prints', async () => {
    const version = await client.version();
    expect(version).toMatchObject({ ApiVersion: '1.43', MinAPIVersion: '1.24', Os: 'linux', Platform: { Name: 'c' } });
    expect(version.Components[0]?.Name).toBe('Engine');
    images.names.set('busybox:latest', IMAGE);
    images.names.set('busybox:1.36', IMAGE);
    const info = await client.info();
    const host = readHostFacts();
    expect(info).toMatchObject({
      Images: 1,
      Containers: 0,
      Driver: 'overlay2',
      DockerRootDir: join(dir, 'root'),
      OSType: 'linux',
      NCPU: host.ncpu,
      MemTotal: host.memTotal,
      CgroupDriver: 'cgroupfs',
      CgroupVersion: host.cgroupVersion,
      KernelVersion: host.kernelVersion,
    });
    expect(info.ID).toMatch(/^[0-9a-f-]{36}$/);
    // The ID survives a restart: it is kept under the root.
    await daemon.close();
    daemon = await startDaemon({ config: { sockets: [socket], root: join(dir, 'root') }, images });
    expect((await client.info()).ID).toBe(info.ID);
  });

  it('lists images one row per id with all their names', async () => {
    images.names.set('busybox:latest', IMAGE);
    images.names.set('127.0.0.1:5000/busybox:v1', IMAGE);
    const list = await client.images.list();
    expect(list).toEqual([
      {
        Id: IMAGE.id,
        ParentId: '',
        RepoTags: ['busybox:latest', '127.0.0.1:5000/busybox:v1'],
        RepoDigests: [`busybox@${IMAGE.digest}`, `127.0.0.1:5000/busybox@${IMAGE.digest}`],
        Created: 1704067200,
        Size: 1234,
        SharedSize: -1,
        VirtualSize: 1234,
        Labels: null,
        Containers: -1,
      },
    ]);
  });

  it('inspects by a name with a registry port, and says No such image for a missing one', async () => {
    images.names.set('127.0.0.1:5000/busybox:latest', IMAGE);
    const inspected = await client.images.inspect('127.0.0.1:5000/busybox');
    expect(inspected).toMatchObject({ Id: IMAGE.id, GraphDriver: { Name: 'overlay2' }, Size: 1234 });
    const missing = await raw(socket, 'GET', '/v1.43/images/nope:latest/json');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ message: 'No such image: nope:latest' });
  });

  it('tags (201) and removes with the Untagged/Deleted list', async () => {
    images.names.set('busybox:latest', IMAGE);
    const tagged = await raw(socket, 'POST', '/v1.43/images/busybox/tag?repo=127.0.0.1%3A5000%2Fbusybox&tag=v1');
    expect(tagged.status).toBe(201);
    expect(images.names.get('127.0.0.1:5000/busybox:v1')).toBe(IMAGE);
    const noRepo = await raw(socket, 'POST', '/v1.43/images/busybox/tag');
    expect(noRepo.status).toBe(400);
    expect(await client.images.remove('127.0.0.1:5000/busybox:v1')).toEqual([{ Untagged: '127.0.0.1:5000/busybox:v1' }]);
    expect(await client.images.remove('busybox', { force: true })).toEqual([{ Untagged: 'busybox:latest' }, { Deleted: IMAGE.id }]);
    expect(images.calls.at(-1)).toEqual({ op: 'remove', args: ['busybox', { force: true }] });
    await expect(client.images.remove('busybox')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'No such image: busybox' });
  });

  it('streams a pull as Docker NDJSON and passes tag, platform and credentials', async () => {
    images.pullScript = {
      events: [
        { id: 'mmmmmmmmmmmm', status: 'done', current: 1, total: 1 },
        { id: 'aaaaaaaaaaaa', status: 'waiting', current: 0, total: 10 },
        { id: 'aaaaaaaaaaaa', status: 'downloading', current: 10, total: 10 },
        { id: 'aaaaaaaaaaaa', status: 'done', current: 10, total: 10 },
      ],
      image: IMAGE,
    };
    const messages: ProgressMessage[] = [];
    for await (const message of client.images.pull('busybox', { tag: 'latest', platform: 'linux/amd64', auth: { username: 'u', password: 'p' } })) {
      messages.push(message);
    }
    expect(messages.map((m) => m.status)).toEqual([
      'Pulling from library/busybox',
      'Pulling fs layer',
      'Downloading',
      'Download complete',
      'Pull complete',
      `Digest: ${IMAGE.digest}`,
      'Status: Downloaded newer image for busybox:latest',
    ]);
    expect(images.calls[0]).toEqual({ op: 'pull', args: ['busybox:latest', { platform: 'linux/amd64', auth: { username: 'u', password: 'p' } }] });
  });

  it('returns an HTTP error when a pull fails before any progress, and an error line when it fails midway', async () => {
    images.pullScript = { events: [], fail: new CError('NOT_FOUND', 'manifest for 127.0.0.1:5000/nope:latest not found') };
    const early = await raw(socket, 'POST', '/v1.43/images/create?fromImage=127.0.0.1%3A5000%2Fnope&tag=latest');
    expect(early.status).toBe(404);
    expect(JSON.parse(early.body)).toEqual({ message: 'manifest for 127.0.0.1:5000/nope:latest not found' });

    images.pullScript = { events: [], fail: new CError('UNAUTHORIZED', 'registry 127.0.0.1:5000 refused anonymous access (HTTP 401)') };
    const denied = await raw(socket, 'POST', '/v1.43/images/create?fromImage=127.0.0.1%3A5000%2Fprivate&tag=latest');
    expect(denied.status).toBe(404);
    expect(JSON.parse(denied.body).message).toBe(
      "pull access denied for 127.0.0.1:5000/private, repository does not exist or may require 'docker login': registry 127.0.0.1:5000 refused anonymous access (HTTP 401)",
    );

    images.pullScript = {
      events: [
        { id: 'aaaaaaaaaaaa', status: 'waiting', current: 0, total: 10 },
        { id: 'aaaaaaaaaaaa', status: 'downloading', current: 5, total: 10 },
      ],
      fail: new CError('DIGEST_MISMATCH', 'layer sha256:aaa does not match its digest'),
      failAfterEvents: true,
    };
    const late = await raw(socket, 'POST', '/v1.43/images/create?fromImage=busybox&tag=latest');
    expect(late.status).toBe(200);
    const lines = [];
    for await (const value of parseNdjson([late.body])) lines.push(value);
    expect(lines.at(-1)).toEqual({
      error: 'layer sha256:aaa does not match its digest',
      errorDetail: { message: 'layer sha256:aaa does not match its digest', code: 500 },
    });
    const viaClient = await (async () => {
      for await (const _ of client.images.pull('busybox')) void _;
    })().catch((error: unknown) => error);
    expect(isCError(viaClient, 'INTERNAL')).toBe(true);
  });

  it('aborts the backend pull when the client goes away', async () => {
    let aborted: unknown;
    images.pull = async (_reference, options = {}) => {
      options.onProgress?.({ id: 'aaaaaaaaaaaa', status: 'waiting', current: 0, total: 10 });
      options.onProgress?.({ id: 'aaaaaaaaaaaa', status: 'downloading', current: 1, total: 10 });
      await new Promise<void>((resolve) => options.signal?.addEventListener('abort', () => resolve(), { once: true }));
      aborted = options.signal?.reason;
      throw options.signal?.reason;
    };
    await new Promise<void>((resolve, reject) => {
      const req = request({ socketPath: socket, method: 'POST', path: '/images/create?fromImage=busybox' }, (res) => {
        // The first progress line arrived: hang up like a Ctrl-C'd `docker pull`.
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
      req.end();
    });
    // A deadline, not 100 ticks of 10 ms: a loaded machine can take longer than a second to see the hang-up.
    for (const deadline = Date.now() + 10_000; aborted === undefined && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
    expect(isCError(aborted, 'CANCELLED')).toBe(true);
  });

  it('rejects bad pull requests before streaming', async () => {
    expect((await raw(socket, 'POST', '/images/create')).status).toBe(400);
    const invalid = await raw(socket, 'POST', '/images/create?fromImage=Busy%20Box');
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body).message).toMatch(/invalid reference/);
    const badAuth = await raw(socket, 'POST', '/images/create?fromImage=busybox', { 'X-Registry-Auth': '!!!' });
    expect(badAuth.status).toBe(400);
    expect((await raw(socket, 'POST', '/images/create?fromSrc=http%3A%2F%2Fexample.com%2Fx.tar&repo=x')).status).toBe(501);
  });

  it('imports a tarball body with fromSrc=- and answers with the image id', async () => {
    const body = Buffer.alloc(2048, 1);
    const res = await raw(socket, 'POST', '/v1.43/images/create?fromSrc=-&repo=c-e2e/imported&tag=v2&changes=CMD%20%5B%22sh%22%5D&message=hi', {}, body);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'sha256:' + 'e'.repeat(64) });
    expect(images.calls.at(-1)).toEqual({ op: 'import', args: ['c-e2e/imported:v2', 2048, { changes: ['CMD ["sh"]'], sourceName: '-', message: 'hi' }] });
    const arm = await raw(socket, 'POST', '/images/create?fromSrc=-&repo=c-e2e/arm&platform=linux%2Farm64', {}, body);
    expect(arm.status).toBe(200);
    expect(images.calls.at(-1)).toEqual({ op: 'import', args: ['c-e2e/arm', 2048, { changes: [], sourceName: '-', platform: 'linux/arm64' }] });
    const noRepo = await raw(socket, 'POST', '/images/create?fromSrc=-', {}, body);
    expect(noRepo.status).toBe(400);
    const empty = await raw(socket, 'POST', '/images/create?fromSrc=-&repo=x');
    expect(empty.status).toBe(400);
    expect(JSON.parse(empty.body)).toEqual({ message: 'import source - is empty' });
  });

  it('streams a push with the X-Registry-Auth credentials, and 404s for a missing local image', async () => {
    images.names.set('127.0.0.1:5000/busybox:latest', IMAGE);
    images.pushScript = { events: [{ id: 'aaaaaaaaaaaa', status: 'pushed', current: 5, total: 5 }] };
    const messages: ProgressMessage[] = [];
    for await (const message of client.images.push('127.0.0.1:5000/busybox', { tag: 'latest', auth: { username: 'u', password: 'p' } })) {
      messages.push(message);
    }
    expect(messages.map((m) => m.status ?? 'aux')).toEqual([
      'The push refers to repository [127.0.0.1:5000/busybox]',
      'Preparing',
      'Pushed',
      `latest: digest: ${IMAGE.digest} size: 527`,
      'aux',
    ]);
    expect(images.calls.at(-1)?.args).toEqual(['127.0.0.1:5000/busybox:latest', { auth: { username: 'u', password: 'p' } }]);
    const missing = await raw(socket, 'POST', '/images/127.0.0.1:5000/other/push?tag=latest', {
      'X-Registry-Auth': encodeRegistryAuth({}),
    });
    expect(missing.status).toBe(404);
    expect(decodeRegistryAuth(encodeRegistryAuth({}))).toBeUndefined();
  });

  it('checks logins with POST /auth', async () => {
    expect(await client.auth({ username: 'me', password: 'secret', serveraddress: '127.0.0.1:5000' })).toEqual({
      Status: 'Login Succeeded',
      IdentityToken: '',
    });
    expect(images.logins).toEqual([{ registry: '127.0.0.1:5000', username: 'me' }]);
    await expect(client.auth({ username: 'me', password: 'wrong' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(client.auth({ username: 'me' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('logs one line per request', async () => {
    logs.length = 0;
    await raw(socket, 'GET', '/v1.43/version');
    expect(logs.some((line) => /^GET \/v1.43\/version 200 /.test(line))).toBe(true);
  });
});

describe('listenUnix', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'c-daemon-listen-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const services = () => ({
    images: new MemoryImages(),
    facts: { version: '0.0.0', id: 'x', root: dir, gitCommit: '', buildTime: '' },
    host: readHostFacts(),
  });

  it('gives the socket to the requested group', async () => {
    const path = join(dir, 'group.sock');
    const server = createDaemonServer(services());
    await listenUnix(server, path, 0o660, 4242);
    try {
      const info = await stat(path);
      expect(info.gid).toBe(4242);
      expect(info.mode & 0o777).toBe(0o660);
    } finally {
      await closeServer(server, path);
    }
  });

  it('replaces a stale socket but refuses a live one or a regular file', async () => {
    const path = join(dir, 'c.sock');
    // A socket file nobody listens on, as a crashed daemon leaves it: a process that exits without closing.
    execFileSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`]);
    expect((await lstat(path)).isSocket()).toBe(true);
    const first = createDaemonServer(services());
    await listenUnix(first, path);
    const second = createDaemonServer(services());
    await expect(listenUnix(second, path)).rejects.toMatchObject({ code: 'CONFLICT', message: /another daemon/ });
    await closeServer(first, path);
    const file = join(dir, 'file');
    await writeFile(file, 'not a socket');
    await expect(listenUnix(second, file)).rejects.toMatchObject({ code: 'CONFLICT', message: /not a socket/ });
  });
});
