import { CError } from '@c/errors';
import { describe, expect, it } from 'vitest';
import {
  appendEmptyLayerHistory,
  appendLayerToConfig,
  createImageConfig,
  createIndex,
  createManifest,
  withContainerConfig,
} from './build';
import { descriptorOf, serializeCanonical } from './canonical';
import { parseImageConfig } from './config';
import { parseManifest } from './manifest';
import { MediaType } from './media-types';
import { hostPlatform, parsePlatform, selectManifest } from './platform';
import type { Descriptor } from './types';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const layer = (c: string, mediaType: string = MediaType.OciLayerGzip): Descriptor => ({ mediaType, digest: d(c), size: 10 });

function failure(fn: () => unknown): CError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CError);
    return error as CError;
  }
  throw new Error('expected a throw');
}

describe('createImageConfig', () => {
  it('defaults to the host platform and no layers', () => {
    const config = createImageConfig();
    const host = hostPlatform();
    expect(config.os).toBe(host.os);
    expect(config.architecture).toBe(host.architecture);
    expect(config.rootfs).toEqual({ type: 'layers', diff_ids: [] });
    expect(config.created).toBeUndefined();
  });

  it('builds a config that parses back to the same document', () => {
    const config = createImageConfig({
      platform: parsePlatform('linux/arm64'),
      diffIds: [d('1')],
      config: { Env: ['A=1'], Cmd: ['sh'], ExposedPorts: { '80/tcp': {} }, Labels: { a: 'b' } },
      history: [{ created_by: 'ADD rootfs.tar /' }],
      created: '2024-05-01T00:00:00Z',
      author: 'c',
    });
    expect(config.variant).toBe('v8');
    const doc = serializeCanonical(config);
    expect(parseImageConfig(doc.bytes)).toEqual(config);
  });

  it('is deterministic: same inputs, same digest', () => {
    const make = () => serializeCanonical(createImageConfig({ platform: parsePlatform('linux/amd64'), diffIds: [d('1')] })).digest;
    expect(make()).toBe(make());
  });

  it('refuses invalid inputs with the config path', () => {
    expect(failure(() => createImageConfig({ diffIds: ['nope'] })).details['path']).toBe('rootfs.diff_ids[0]');
    expect(failure(() => createImageConfig({ config: { Env: ['=bad'] } })).details['path']).toBe('config.Env[0]');
  });

  it('appends layers and history without touching the original', () => {
    const base = createImageConfig({ platform: parsePlatform('linux/amd64') });
    const one = appendLayerToConfig(base, d('1'), { created_by: 'RUN make' });
    const two = appendEmptyLayerHistory(one, { created_by: 'CMD ["app"]' });
    const three = withContainerConfig(two, (c) => ({ ...c, Cmd: ['app'] }));
    expect(base.rootfs.diff_ids).toEqual([]);
    expect(base.history).toBeUndefined();
    expect(three.rootfs.diff_ids).toEqual([d('1')]);
    expect(three.history).toEqual([{ created_by: 'RUN make' }, { created_by: 'CMD ["app"]', empty_layer: true }]);
    expect(three.config?.Cmd).toEqual(['app']);
    expect(two.config).toBeUndefined();
  });
});

describe('createManifest', () => {
  const config = serializeCanonical(createImageConfig({ platform: parsePlatform('linux/amd64'), diffIds: [d('1'), d('2')] }));

  it('builds an OCI manifest that parseManifest accepts', () => {
    const manifest = createManifest(descriptorOf(config, MediaType.OciConfig), [layer('a'), layer('b', MediaType.OciLayerZstd)], {
      annotations: { 'org.opencontainers.image.ref.name': 'v1' },
    });
    expect(manifest.mediaType).toBe(MediaType.OciManifest);
    const doc = serializeCanonical(manifest);
    const parsed = parseManifest(doc.bytes, MediaType.OciManifest);
    expect(parsed.kind === 'manifest' && parsed.manifest).toEqual(manifest);
  });

  it('builds a Docker v2 manifest when asked, and requires the Docker config type', () => {
    const manifest = createManifest(descriptorOf(config, MediaType.DockerConfig), [layer('a', MediaType.DockerLayerGzip)], {
      format: 'docker',
    });
    expect(manifest.mediaType).toBe(MediaType.DockerManifest);
    expect(parseManifest(serializeCanonical(manifest).bytes).kind).toBe('manifest');
    expect(failure(() => createManifest(descriptorOf(config, MediaType.OciConfig), [], { format: 'docker' })).code).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('refuses non-config and non-layer media types and bad descriptors', () => {
    expect(failure(() => createManifest(layer('a'), [])).message).toContain('not an image config type');
    expect(failure(() => createManifest(descriptorOf(config, MediaType.OciConfig), [layer('a', MediaType.OciConfig)])).message).toContain(
      'layers[0]',
    );
    const bad = { ...layer('a'), size: -5 };
    expect(failure(() => createManifest(descriptorOf(config, MediaType.OciConfig), [bad])).details['path']).toBe('layers[0].size');
  });

  it('allows artifact manifests with an artifactType and subject (OCI only)', () => {
    const empty = serializeCanonical({});
    const subject = { mediaType: MediaType.OciManifest, digest: d('c'), size: 500 };
    const artifact = createManifest(descriptorOf(empty, MediaType.OciEmpty), [layer('a', 'application/vnd.example+json')], {
      artifactType: 'application/vnd.example.sbom',
      subject,
    });
    expect(artifact.subject).toEqual(subject);
    expect(failure(() => createManifest(descriptorOf(empty, MediaType.OciEmpty), [], { artifactType: 'a/b', format: 'docker' })).code).toBe(
      'INVALID_ARGUMENT',
    );
  });
});

describe('createIndex', () => {
  const amd64: Descriptor = { mediaType: MediaType.OciManifest, digest: d('1'), size: 400, platform: parsePlatform('linux/amd64') };
  const arm64: Descriptor = { mediaType: MediaType.OciManifest, digest: d('2'), size: 400, platform: parsePlatform('linux/arm64') };

  it('builds an index that parses back and selects per platform', () => {
    const index = createIndex([amd64, arm64]);
    expect(index.mediaType).toBe(MediaType.OciIndex);
    const parsed = parseManifest(serializeCanonical(index).bytes);
    expect(parsed.kind).toBe('index');
    expect(selectManifest(index, parsePlatform('linux/arm64/v8')).digest).toBe(d('2'));
  });

  it('builds a Docker manifest list when asked', () => {
    expect(createIndex([amd64], { format: 'docker' }).mediaType).toBe(MediaType.DockerManifestList);
  });

  it('refuses entries that are not manifests', () => {
    const error = failure(() => createIndex([amd64, layer('9')]));
    expect(error.message).toContain('manifests[1]');
  });
});
