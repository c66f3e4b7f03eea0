import { CError } from '@c/errors';
import { describe, expect, it } from 'vitest';
import {
  MANIFEST_ACCEPT,
  MANIFEST_ACCEPT_HEADER,
  MediaType,
  baseMediaType,
  isConfigMediaType,
  isIndexMediaType,
  isLayerMediaType,
  isManifestMediaType,
  isNondistributableMediaType,
  isSchema1MediaType,
  layerCompression,
} from './media-types';

describe('media types', () => {
  it('have the exact strings of the specs', () => {
    expect(MediaType.OciManifest).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(MediaType.OciIndex).toBe('application/vnd.oci.image.index.v1+json');
    expect(MediaType.OciConfig).toBe('application/vnd.oci.image.config.v1+json');
    expect(MediaType.OciLayerZstd).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    expect(MediaType.DockerManifest).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(MediaType.DockerManifestList).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(MediaType.DockerConfig).toBe('application/vnd.docker.container.image.v1+json');
    expect(MediaType.DockerLayerGzip).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
    expect(MediaType.DockerForeignLayerGzip).toBe('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip');
    expect(MediaType.DockerSchema1SignedManifest).toBe('application/vnd.docker.distribution.manifest.v1+prettyjws');
  });

  it('MANIFEST_ACCEPT lists Docker v2, Docker list, OCI manifest, OCI index', () => {
    expect(MANIFEST_ACCEPT).toEqual([
      MediaType.DockerManifest,
      MediaType.DockerManifestList,
      MediaType.OciManifest,
      MediaType.OciIndex,
    ]);
    expect(MANIFEST_ACCEPT_HEADER.split(', ')).toEqual(MANIFEST_ACCEPT);
    expect(MANIFEST_ACCEPT.some(isSchema1MediaType)).toBe(false);
  });

  it('classifies manifests, indexes, configs and schema1, ignoring parameters and case', () => {
    expect(isIndexMediaType(MediaType.OciIndex)).toBe(true);
    expect(isIndexMediaType(`${MediaType.DockerManifestList}; charset=utf-8`)).toBe(true);
    expect(isIndexMediaType(MediaType.OciManifest)).toBe(false);
    expect(isManifestMediaType(MediaType.DockerManifest.toUpperCase())).toBe(true);
    expect(isManifestMediaType(MediaType.OciIndex)).toBe(false);
    expect(isManifestMediaType(MediaType.DockerSchema1Manifest)).toBe(false);
    expect(isSchema1MediaType(MediaType.DockerSchema1SignedManifest)).toBe(true);
    expect(isConfigMediaType(MediaType.DockerConfig)).toBe(true);
    expect(isConfigMediaType(MediaType.OciLayer)).toBe(false);
    expect(baseMediaType(' Application/JSON ; charset=utf-8')).toBe('application/json');
  });

  it.each([
    [MediaType.OciLayer, 'none'],
    [MediaType.OciLayerGzip, 'gzip'],
    [MediaType.OciLayerZstd, 'zstd'],
    [MediaType.OciLayerNondistributable, 'none'],
    [MediaType.OciLayerNondistributableGzip, 'gzip'],
    [MediaType.OciLayerNondistributableZstd, 'zstd'],
    [MediaType.DockerLayer, 'none'],
    [MediaType.DockerLayerGzip, 'gzip'],
    [MediaType.DockerLayerZstd, 'zstd'],
    [MediaType.DockerForeignLayerGzip, 'gzip'],
  ])('layerCompression(%s) = %s', (mediaType, compression) => {
    expect(layerCompression(mediaType)).toBe(compression);
    expect(isLayerMediaType(mediaType)).toBe(true);
  });

  it('layerCompression refuses non-layer media types with UNSUPPORTED', () => {
    for (const mediaType of [MediaType.OciConfig, 'application/vnd.oci.image.layer.v1.tar+lz4', 'text/plain']) {
      try {
        layerCompression(mediaType);
        expect.unreachable();
      } catch (error) {
        expect((error as CError).code).toBe('UNSUPPORTED');
        expect((error as CError).message).toContain(mediaType);
      }
      expect(isLayerMediaType(mediaType)).toBe(false);
    }
  });

  it('recognises nondistributable and foreign layers', () => {
    expect(isNondistributableMediaType(MediaType.DockerForeignLayerGzip)).toBe(true);
    expect(isNondistributableMediaType(MediaType.OciLayerNondistributableZstd)).toBe(true);
    expect(isNondistributableMediaType(MediaType.OciLayerGzip)).toBe(false);
  });
});
