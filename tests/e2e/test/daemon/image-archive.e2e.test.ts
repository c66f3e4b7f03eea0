/**
 * docker save / docker load through c-daemon: the archive is a docker-archive that skopeo reads, a round trip
 * keeps the image ID, and an OCI layout made by skopeo loads too. docker commit without a name makes an untagged
 * image (`<none>`), with changes, author, comment and the pause honoured.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type Session } from './support/session';

const run = promisify(execFile);
const SKOPEO = '/usr/bin/skopeo';

describe.skipIf(process.getuid?.() !== 0 || !existsSync(SKOPEO))('c-daemon: image save and load', () => {
  let session: Session;
  const docker = (...args: string[]) => session.docker(args);

  beforeAll(async () => {
    session = await openSession('c-e2e-image-archive-');
  }, 300_000);

  afterAll(async () => {
    await session?.close();
  });

  it('docker save writes a docker-archive skopeo reads; rmi + docker load brings back the same image id', async () => {
    const id = (await docker('image', 'inspect', '-f', '{{.Id}}', session.image)).stdout.trim();
    expect((await docker('tag', session.image, 'localhost:5000/saved:v1')).code).toBe(0);
    const file = join(session.dir, 'saved.tar');
    const saved = await docker('save', '-o', file, session.image, 'localhost:5000/saved:v1');
    expect(saved.code, saved.stderr).toBe(0);

    const { stdout } = await run(SKOPEO, ['inspect', '--raw', '--config', `docker-archive:${file}:localhost:5000/saved:v1`]);
    const config = JSON.parse(stdout) as { rootfs: { diff_ids: string[] } };
    expect(config.rootfs.diff_ids).toHaveLength(1);
    const inspected = JSON.parse((await run(SKOPEO, ['inspect', `docker-archive:${file}:localhost:5000/saved:v1`])).stdout) as { Layers: string[] };
    // Uncompressed layers: the archive's layer digests are the DiffIDs.
    expect(inspected.Layers).toEqual(config.rootfs.diff_ids);

    expect((await docker('rmi', 'localhost:5000/saved:v1')).code).toBe(0);
    expect((await docker('image', 'inspect', 'localhost:5000/saved:v1')).code).toBe(1);
    const loaded = await session.docker(['load', '-i', file]);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).toContain('Loaded image: localhost:5000/saved:v1');
    expect(loaded.stdout).toContain(`Loaded image: ${session.image}:latest`);
    expect((await docker('image', 'inspect', '-f', '{{.Id}}', 'localhost:5000/saved:v1')).stdout.trim()).toBe(id);
    expect(await docker('run', '--rm', 'localhost:5000/saved:v1', 'echo', 'from loaded')).toMatchObject({ code: 0, stdout: 'from loaded\n' });

    // docker load from stdin, the way `docker save | docker load` works.
    expect((await docker('rmi', 'localhost:5000/saved:v1')).code).toBe(0);
    const piped = await run('sh', ['-c', `/usr/local/bin/docker -H unix://${session.socket} load < ${file}`], { env: { ...process.env, DOCKER_CONFIG: join(session.dir, 'docker-config') } });
    expect(piped.stdout).toContain('Loaded image: localhost:5000/saved:v1');
  }, 120_000);

  it('docker save of one image, and an OCI layout archive (skopeo oci-archive) loads under its ref name', async () => {
    const file = join(session.dir, 'one.tar');
    expect((await docker('save', '-o', file, session.image)).code).toBe(0);
    const oci = join(session.dir, 'oci.tar');
    await run(SKOPEO, ['copy', '--quiet', `docker-archive:${file}`, `oci-archive:${oci}:localhost/oci-loaded:v2`]);
    const loaded = await docker('load', '-i', oci);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).toContain('Loaded image: localhost/oci-loaded:v2');
    expect(await docker('run', '--rm', 'localhost/oci-loaded:v2', 'echo', 'oci ok')).toMatchObject({ code: 0, stdout: 'oci ok\n' });
    const bad = await session.docker(['load'], 'not a tar at all');
    expect(bad.code).not.toBe(0);
  }, 120_000);

  it('docker commit without a repository: an untagged image with its Id, changes/author/comment honoured, paused meanwhile', async () => {
    const started = await docker('run', '-d', '--name', 'cm', session.image, 'sh', '-c', 'echo made > /made.txt; exec sleep 60');
    expect(started.code, started.stderr).toBe(0);
    const since = Math.floor(Date.now() / 1000) - 1;
    try {
      await expect.poll(async () => (await docker('exec', 'cm', 'cat', '/made.txt')).stdout).toBe('made\n');
      const commit = await docker('commit', '-c', 'ENV COMMITTED=yes', '-a', 'someone <s@example.com>', '-m', 'why not', 'cm');
      expect(commit.code, commit.stderr).toBe(0);
      const id = commit.stdout.trim();
      expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
      const inspect = JSON.parse((await docker('image', 'inspect', id)).stdout) as Array<{ RepoTags: string[]; RepoDigests: string[]; Author: string; Comment: string; Config: { Env: string[] } }>;
      expect(inspect[0]).toMatchObject({ RepoTags: [], RepoDigests: [], Author: 'someone <s@example.com>', Comment: 'why not' });
      expect(inspect[0]!.Config.Env).toContain('COMMITTED=yes');
      const rows = (await docker('images', '--format', '{{.Repository}} {{.Tag}} {{.ID}}')).stdout;
      expect(rows).toContain(`<none> <none> ${id.slice(7, 19)}`);
      expect(await docker('run', '--rm', id, 'cat', '/made.txt')).toMatchObject({ code: 0, stdout: 'made\n' });
      // docker pauses the container while it reads its changes.
      const events = await docker('events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'container=cm', '--format', '{{.Action}}');
      expect(events.stdout.split('\n')).toEqual(expect.arrayContaining(['pause', 'unpause', 'commit']));
      // Once named, the <none> row is gone; saved by id and loaded back, it is untagged again.
      expect((await docker('tag', id, 'committed:named')).code).toBe(0);
      expect((await docker('images', '--format', '{{.Repository}} {{.Tag}} {{.ID}}')).stdout).not.toContain(`<none> <none> ${id.slice(7, 19)}`);
      const file = join(session.dir, 'by-id.tar');
      expect((await docker('save', '-o', file, id)).code).toBe(0);
      expect((await docker('rmi', '-f', id)).code).toBe(0);
      const loaded = await docker('load', '-i', file);
      expect(loaded).toMatchObject({ code: 0, stdout: `Loaded image ID: ${id}\n` });
      expect((await docker('image', 'inspect', '-f', '{{.Id}}', id)).stdout.trim()).toBe(id);
      // An untagged image nothing uses is dangling: image prune (without -a) removes it, named images stay.
      const dangling = (await docker('commit', '-p=false', 'cm')).stdout.trim();
      const pruned = await docker('image', 'prune', '-f');
      expect(pruned.stdout).toContain(`deleted: ${dangling}`);
      expect((await docker('image', 'inspect', dangling)).code).toBe(1);
      expect((await docker('image', 'inspect', session.image)).code).toBe(0);
    } finally {
      await docker('rm', '-f', 'cm');
    }
  }, 120_000);
});
