/**
 * A two-platform index pushed to a real registry (two imported images tied together by an OCI index and pushed
 * with @c/registry-client), then pulled with `c pull --platform`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentStore, storeLayout } from '@c/layers';
import { parseReference, sha256Digest, type Descriptor } from '@c/image';
import { RegistryClient } from '@c/registry-client';
import { cliEnvironment, expectSuccess, type CliEnvironment } from './support/cli';
import { haveRegistry, startRegistry, type RunningRegistry } from './support/registry-server';
import { buildBusyboxTar, buildRandomTar, haveBusybox } from './support/rootfs';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

describe.skipIf(!haveRegistry || !haveBusybox)('multi-platform images', () => {
  let registry: RunningRegistry;
  let builder: CliEnvironment;
  let puller: CliEnvironment;
  let work: string;
  let name: string;
  let indexDigest: string;
  const manifests: Record<string, Descriptor> = {};

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'c-e2e-multi-'));
    registry = await startRegistry();
    builder = cliEnvironment();
    puller = cliEnvironment();
    name = `${registry.host}/multi:1`;
    // Two different layers so the two platforms are really two images.
    const tars = { 'linux/amd64': buildBusyboxTar(work), 'linux/arm64': buildRandomTar(work, 'arm.tar', 4096) };
    const content = new ContentStore(storeLayout(builder.root).content);
    for (const [platform, tar] of Object.entries(tars)) {
      const local = `${registry.host}/multi:${platform.replace('/', '-')}`;
      expectSuccess(await builder.run(['import', '--platform', platform, tar, local]), `import ${platform}`);
      const [inspect] = JSON.parse(expectSuccess(await builder.run(['image', 'inspect', local]), 'inspect').stdout);
      const [os, architecture] = platform.split('/');
      expect(inspect.Architecture).toBe(architecture);
      // Find the manifest of this image: the one whose config digest is the image id.
      const records = JSON.parse(readFileSync(storeLayout(builder.root).images, 'utf8')) as { images: Record<string, { target: Descriptor; configDigest?: string }> };
      const record = Object.values(records.images).find((r) => r.configDigest === inspect.Id);
      expect(record).toBeDefined();
      manifests[platform] = { ...record!.target, platform: { os: os!, architecture: architecture!, ...(inspect.Variant ? { variant: inspect.Variant } : {}) } };
    }
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: Object.values(manifests) }),
    );
    indexDigest = sha256Digest(index);
    await content.writeBlob(index, indexDigest);
    const client = new RegistryClient();
    await client.push(parseReference(name), content, { mediaType: OCI_INDEX, digest: indexDigest, size: index.length });
    client.close();
  });

  afterAll(async () => {
    await registry?.stop();
    builder?.cleanup();
    puller?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it.each([
    ['linux/arm64', 'arm64'],
    ['linux/amd64', 'amd64'],
  ])('pulls the %s manifest of the index', async (platform, architecture) => {
    const result = expectSuccess(await puller.run(['pull', '--platform', platform, name]), `pull ${platform}`);
    expect(result.stdout).toContain(`Digest: ${indexDigest}`);
    const [inspect] = JSON.parse(expectSuccess(await puller.run(['image', 'inspect', name]), 'inspect').stdout);
    expect(inspect.Architecture).toBe(architecture);
    expect(inspect.Os).toBe('linux');
    expect(inspect.RepoDigests).toEqual([`${registry.host}/multi@${indexDigest}`]);
    const table = expectSuccess(await puller.run(['images', '--digests', '--no-trunc']), 'images').stdout;
    expect(table).toContain(indexDigest);
    expect(table).toContain(inspect.Id);
  });

  it('names the platforms the index has when none fits', async () => {
    const result = await puller.run(['pull', '--platform', 'linux/s390x', name]);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(result.stderr).toMatch(/^Error: .*s390x.*/);
    expect(result.stderr).toMatch(/linux\/amd64/);
    expect(result.stderr).toMatch(/linux\/arm64/);
  });
});
