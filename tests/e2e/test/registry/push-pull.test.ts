/**
 * The image round trip through a real docker-registry with the built `c`: import a busybox rootfs, push it,
 * remove it, pull it back by tag and by digest, list and inspect it; check the blobs against skopeo's copy.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, expectSuccess, type CliEnvironment } from './support/cli';
import { haveRegistry, startRegistry, type RunningRegistry } from './support/registry-server';
import { buildBusyboxTar, haveBusybox } from './support/rootfs';

const haveSkopeo = existsSync('/usr/bin/skopeo');

describe.skipIf(!haveRegistry || !haveBusybox)('c push / pull against docker-registry', () => {
  let registry: RunningRegistry;
  let c: CliEnvironment;
  let work: string;
  let tarball: string;
  let image: string;
  let importedId: string;
  let pushedDigest: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'c-e2e-push-pull-'));
    tarball = buildBusyboxTar(work);
    registry = await startRegistry();
    c = cliEnvironment();
    image = `${registry.host}/busybox:latest`;
  });

  afterAll(async () => {
    await registry?.stop();
    c?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('imports a busybox rootfs tarball as a one-layer image', async () => {
    const result = expectSuccess(await c.run(['import', '-c', 'CMD ["sh"]', tarball, image]), 'c import');
    importedId = result.stdout.trim();
    expect(importedId).toMatch(/^sha256:[0-9a-f]{64}$/);
    const [inspect] = JSON.parse(expectSuccess(await c.run(['image', 'inspect', image]), 'inspect').stdout);
    expect(inspect.Id).toBe(importedId);
    expect(inspect.RootFS.Layers).toHaveLength(1);
    expect(inspect.Config.Cmd).toEqual(['sh']);
    // The DiffID is the sha256 of the tar exactly as given.
    const tarDigest = `sha256:${execFileSync('sha256sum', [tarball], { encoding: 'utf8' }).split(' ')[0]}`;
    expect(inspect.RootFS.Layers[0]).toBe(tarDigest);
  });

  it('pushes it, printing docker-style progress and the manifest digest', async () => {
    const result = expectSuccess(await c.run(['push', image]), 'c push');
    expect(result.stdout).toContain(`The push refers to repository [${registry.host}/busybox]`);
    const match = /latest: digest: (sha256:[0-9a-f]{64}) size: (\d+)/.exec(result.stdout);
    expect(match, result.stdout).not.toBeNull();
    pushedDigest = match![1]!;
    // The registry serves exactly that manifest under the tag.
    const res = await fetch(`http://${registry.host}/v2/busybox/manifests/latest`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(res.headers.get('docker-content-digest')).toBe(pushedDigest);
  });

  it('removes it locally', async () => {
    const result = expectSuccess(await c.run(['rmi', image]), 'c rmi');
    expect(result.stdout).toBe(`Untagged: ${image}\nDeleted: ${importedId}\n`);
    const images = expectSuccess(await c.run(['images', '-q']), 'c images');
    expect(images.stdout).toBe('');
    // Its blobs went with it: nothing references them any more.
    expect(readdirSync(join(c.root, 'content/blobs/sha256'))).toEqual([]);
  });

  it('pulls it back by tag with the same id', async () => {
    const result = expectSuccess(await c.run(['pull', image]), 'c pull');
    expect(result.stdout).toContain('latest: Pulling from busybox');
    expect(result.stdout).toContain(`Digest: ${pushedDigest}`);
    expect(result.stdout).toContain(`Status: Downloaded newer image for ${image}`);
    expect(result.stdout.trim().split('\n').at(-1)).toBe(image);
    const [inspect] = JSON.parse(expectSuccess(await c.run(['image', 'inspect', image]), 'inspect').stdout);
    expect(inspect.Id).toBe(importedId);
    expect(inspect.RepoDigests).toEqual([`${registry.host}/busybox@${pushedDigest}`]);

    const again = expectSuccess(await c.run(['pull', image]), 'c pull again');
    expect(again.stdout).toContain(`Status: Image is up to date for ${image}`);
  });

  it('pulls by digest, which docker lists without a tag', async () => {
    const byDigest = `${registry.host}/busybox@${pushedDigest}`;
    expectSuccess(await c.run(['pull', '-q', byDigest]), 'c pull by digest');
    const table = expectSuccess(await c.run(['images', '--digests']), 'c images').stdout.trim().split('\n');
    expect(table[0]).toMatch(/^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE$/);
    const rows = table.slice(1).map((line) => line.split(/\s{3,}/));
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row[0]).toBe(`${registry.host}/busybox`);
      expect(row[2]).toBe(pushedDigest);
      expect(row[3]).toBe(importedId.slice(7, 19));
      expect(row[5]).toMatch(/^\d+(\.\d+)?[kM]B$/);
    }
    expect(rows.map((row) => row[1]).sort()).toEqual(['<none>', 'latest']);
  });

  it('tags, and refuses to delete an id named in two repositories unless forced', async () => {
    expectSuccess(await c.run(['tag', image, `${registry.host}/other:v1`]), 'c tag');
    const shortId = importedId.slice(7, 19);
    const refused = await c.run(['rmi', shortId]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^Error: conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is referenced in multiple repositories: /);
    expect(refused.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    const forced = expectSuccess(await c.run(['image', 'rm', '-f', shortId]), 'c image rm -f');
    expect(forced.stdout).toContain(`Deleted: ${importedId}`);
    expect(expectSuccess(await c.run(['image', 'ls', '-q']), 'ls').stdout).toBe('');
  });

  it.skipIf(!haveSkopeo)('stores blobs byte-identical to what skopeo copies', async () => {
    expectSuccess(await c.run(['pull', '-q', image]), 'c pull');
    const layout = join(work, 'oci');
    execFileSync('skopeo', ['copy', '--src-tls-verify=false', `docker://${image}`, `oci:${layout}:latest`], { stdio: 'pipe' });
    const skopeoBlobs = readdirSync(join(layout, 'blobs/sha256'));
    expect(skopeoBlobs.length).toBeGreaterThanOrEqual(3); // manifest, config, layer
    for (const hex of skopeoBlobs) {
      const ours = join(c.root, 'content/blobs/sha256', hex);
      expect(existsSync(ours), `c has no blob sha256:${hex}`).toBe(true);
      expect(readFileSync(ours).equals(readFileSync(join(layout, 'blobs/sha256', hex)))).toBe(true);
    }
  });

  it('reports a missing tag and a missing image with one line and exit code 1', async () => {
    const missingTag = await c.run(['pull', `${registry.host}/busybox:nope`]);
    expect(missingTag.code).toBe(1);
    expect(missingTag.stderr).toMatch(/^Error: .*busybox:nope.*not found.*: .+\n$/);
    const missingRepo = await c.run(['pull', '-q', `${registry.host}/never-pushed:1`]);
    expect(missingRepo.code).toBe(1);
    expect(missingRepo.stderr).toMatch(/^Error: .*never-pushed.*\n$/);
    const missingLocal = await c.run(['image', 'inspect', 'nothere:1']);
    expect(missingLocal.code).toBe(1);
    expect(missingLocal.stdout).toBe('[]\n');
    expect(missingLocal.stderr).toBe('Error: No such image: nothere:1: check the name with `c images`, or pull it with `c pull`\n');
    const badName = await c.run(['pull', 'BusyBox']);
    expect(badName.code).toBe(125);
    expect(badName.stderr).toMatch(/^Error: invalid reference "BusyBox": .*lowercase.*\n$/);
  });
});
