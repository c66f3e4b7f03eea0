import { CError } from '@c/errors';
import { describe, expect, it } from 'vitest';
import { sha256Digest } from './digest';
import { MAX_MANIFEST_SIZE, parseManifest, validateDescriptor, validatePlatform } from './manifest';
import { MediaType } from './media-types';
import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  OCI_INDEX,
  OCI_MANIFEST_WITHOUT_MEDIA_TYPE,
  SCHEMA1_SIGNED,
  encode,
} from './testdata/documents';

function failure(fn: () => unknown): CError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CError);
    return error as CError;
  }
  throw new Error('expected a throw');
}

/** A deep copy of `doc` changed by `edit`. */
function edited<T>(doc: T, edit: (copy: any) => void): Uint8Array {
  const copy = structuredClone(doc);
  edit(copy);
  return encode(copy);
}

describe('parseManifest: kinds', () => {
  it('parses a Docker v2 manifest by its header', () => {
    const parsed = parseManifest(encode(DOCKER_MANIFEST), MediaType.DockerManifest);
    expect(parsed.kind).toBe('manifest');
    if (parsed.kind !== 'manifest') return;
    expect(parsed.mediaType).toBe(MediaType.DockerManifest);
    expect(parsed.manifest.layers[0]?.size).toBe(2152262);
  });

  it('parses by the document mediaType when the header is generic or absent', () => {
    for (const header of [undefined, 'application/json', 'application/octet-stream', 'text/plain; charset=utf-8']) {
      expect(parseManifest(encode(DOCKER_MANIFEST_LIST), header).kind).toBe('index');
    }
  });

  it('tells an OCI manifest without mediaType from its members', () => {
    const parsed = parseManifest(encode(OCI_MANIFEST_WITHOUT_MEDIA_TYPE));
    expect(parsed).toMatchObject({ kind: 'manifest', mediaType: MediaType.OciManifest });
    const { mediaType: _dropped, ...bareIndex } = OCI_INDEX;
    expect(parseManifest(encode(bareIndex))).toMatchObject({ kind: 'index', mediaType: MediaType.OciIndex });
  });

  it('trusts a specific header for a document without mediaType', () => {
    expect(parseManifest(encode(OCI_MANIFEST_WITHOUT_MEDIA_TYPE), MediaType.OciManifest).kind).toBe('manifest');
  });

  it('parses an OCI index with attestations and a Docker manifest list with Windows platforms', () => {
    const oci = parseManifest(encode(OCI_INDEX), `${MediaType.OciIndex}; charset=utf-8`);
    expect(oci.kind === 'index' && oci.index.manifests).toHaveLength(3);
    const list = parseManifest(encode(DOCKER_MANIFEST_LIST), MediaType.DockerManifestList);
    expect(list.kind === 'index' && list.index.manifests[1]?.platform?.['os.version']).toBe('10.0.17763.5329');
  });
});

describe('parseManifest: refusals', () => {
  it('refuses schema1 by header, by media type and by schemaVersion with UNSUPPORTED', () => {
    for (const [doc, header] of [
      [SCHEMA1_SIGNED, MediaType.DockerSchema1SignedManifest],
      [SCHEMA1_SIGNED, MediaType.DockerSchema1Manifest],
      [SCHEMA1_SIGNED, 'application/json'],
      [SCHEMA1_SIGNED, undefined],
      [{ ...DOCKER_MANIFEST, mediaType: MediaType.DockerSchema1Manifest }, undefined],
    ] as const) {
      const error = failure(() => parseManifest(encode(doc), header));
      expect(error.code).toBe('UNSUPPORTED');
      expect(error.message).toContain('schema1 manifests are deprecated');
      expect(error.message).toContain('re-push the image with a current client');
    }
  });

  it('refuses manifests over 4 MiB with LIMIT_EXCEEDED before parsing', () => {
    const big = new Uint8Array(MAX_MANIFEST_SIZE + 1).fill(0x20);
    expect(failure(() => parseManifest(big)).code).toBe('LIMIT_EXCEEDED');
    // Exactly 4 MiB is allowed (and then fails as JSON, not as size).
    const edge = new Uint8Array(MAX_MANIFEST_SIZE).fill(0x20);
    expect(failure(() => parseManifest(edge)).code).toBe('INVALID_ARGUMENT');
  });

  it('refuses non-JSON, non-UTF-8 and non-object documents', () => {
    expect(failure(() => parseManifest(new TextEncoder().encode('{"schemaVersion":'))).message).toContain('not valid JSON');
    expect(failure(() => parseManifest(new Uint8Array([0x7b, 0xff, 0x7d]))).message).toContain('UTF-8');
    expect(failure(() => parseManifest(encode([1, 2]))).message).toContain('expected a JSON object');
  });

  it('refuses a document whose mediaType contradicts the Content-Type', () => {
    const error = failure(() => parseManifest(encode(DOCKER_MANIFEST), MediaType.OciManifest));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details['path']).toBe('mediaType');
  });

  it('refuses other media types (artifacts, configs) with UNSUPPORTED', () => {
    const artifact = 'application/vnd.oci.artifact.manifest.v1+json';
    const byHeader = failure(() => parseManifest(encode(OCI_MANIFEST_WITHOUT_MEDIA_TYPE), artifact));
    expect(byHeader.code).toBe('UNSUPPORTED');
    expect(byHeader.message).toContain(artifact);
    const byDocument = failure(() => parseManifest(encode({ ...OCI_MANIFEST_WITHOUT_MEDIA_TYPE, mediaType: MediaType.OciConfig })));
    expect(byDocument.code).toBe('UNSUPPORTED');
  });

  it('refuses an ambiguous document without mediaType', () => {
    expect(failure(() => parseManifest(encode({ schemaVersion: 2 }))).code).toBe('INVALID_ARGUMENT');
    expect(failure(() => parseManifest(encode({ schemaVersion: 2, config: {}, manifests: [] }))).code).toBe('INVALID_ARGUMENT');
  });

  it.each<[string, (doc: any) => void, string, string]>([
    ['schemaVersion 3', (d) => (d.schemaVersion = 3), 'schemaVersion', 'expected 2, found 3'],
    ['missing config', (d) => delete d.config, 'config', 'expected an object, found undefined'],
    ['layers not an array', (d) => (d.layers = {}), 'layers', 'expected an array'],
    ['bad layer digest', (d) => (d.layers[0].digest = 'sha256:1234'), 'layers[0].digest', 'is not a valid digest'],
    ['uppercase digest', (d) => (d.layers[0].digest = `sha256:${'A'.repeat(64)}`), 'layers[0].digest', 'is not a valid digest'],
    ['negative size', (d) => (d.layers[0].size = -1), 'layers[0].size', 'non-negative integer'],
    ['fractional size', (d) => (d.config.size = 1.5), 'config.size', 'non-negative integer'],
    ['string size', (d) => (d.config.size = '12'), 'config.size', 'non-negative integer'],
    ['huge size', (d) => (d.config.size = 2 ** 60), 'config.size', 'non-negative integer'],
    ['missing mediaType', (d) => delete d.layers[0].mediaType, 'layers[0].mediaType', 'expected a string'],
    ['bad mediaType', (d) => (d.layers[0].mediaType = 'tar'), 'layers[0].mediaType', 'not a media type'],
    ['urls not strings', (d) => (d.layers[0].urls = [1]), 'layers[0].urls[0]', 'expected a string'],
    ['non-http url', (d) => (d.layers[0].urls = ['file:///etc/passwd']), 'layers[0].urls[0]', 'not an http(s) URL'],
    ['annotation not a string', (d) => (d.layers[0].annotations = { a: 1 }), 'layers[0].annotations.a', 'expected a string'],
    [
      'dotted annotation key',
      (d) => (d.annotations = { 'org.opencontainers.image.created': 5 }),
      'annotations["org.opencontainers.image.created"]',
      'expected a string',
    ],
    ['subject without digest', (d) => (d.subject = { mediaType: 'a/b', size: 1 }), 'subject.digest', 'expected a string'],
  ])('names the path of the problem: %s', (_name, edit, path, problem) => {
    const error = failure(() => parseManifest(edited(DOCKER_MANIFEST, edit)));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details['path']).toBe(path);
    expect(error.message).toContain(`invalid manifest: ${path}: `);
    expect(error.message).toContain(problem);
    expect(error.hint).toBeTruthy();
  });

  it.each<[string, (doc: any) => void, string]>([
    ['bad platform', (d) => (d.manifests[1].platform = { os: 'linux' }), 'manifests[1].platform.architecture'],
    ['platform variant not a string', (d) => (d.manifests[0].platform.variant = 8), 'manifests[0].platform.variant'],
    ['os.features not strings', (d) => (d.manifests[0].platform['os.features'] = 'x'), 'manifests[0].platform["os.features"]'],
    ['manifests missing', (d) => delete d.manifests, 'manifests'],
    ['descriptor not an object', (d) => (d.manifests[2] = 'sha256:abc'), 'manifests[2]'],
  ])('index problems are located: %s', (_name, edit, path) => {
    const error = failure(() => parseManifest(edited(OCI_INDEX, edit)));
    expect(error.details['path']).toBe(path);
  });

  it('refuses digests of algorithms c does not support with UNSUPPORTED, naming the path', () => {
    const error = failure(() => parseManifest(edited(DOCKER_MANIFEST, (d) => (d.config.digest = `sha384:${'a'.repeat(96)}`))));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toContain('config.digest');
  });
});

describe('validateDescriptor', () => {
  const data = Buffer.from('{}');
  const inline = {
    mediaType: 'application/vnd.oci.empty.v1+json',
    digest: sha256Digest(data),
    size: 2,
    data: data.toString('base64'),
  };

  it('accepts inline data that matches its digest and size', () => {
    expect(validateDescriptor(inline)).toEqual(inline);
  });

  it('refuses inline data of the wrong size, digest or encoding', () => {
    expect(failure(() => validateDescriptor({ ...inline, size: 3 })).message).toContain('holds 2 bytes');
    const tampered = { ...inline, data: Buffer.from('[]').toString('base64') };
    expect(failure(() => validateDescriptor(tampered)).code).toBe('DIGEST_MISMATCH');
    expect(failure(() => validateDescriptor({ ...inline, data: '!!' })).message).toContain('not base64');
  });

  it('validatePlatform checks a platform object', () => {
    expect(validatePlatform({ os: 'linux', architecture: 'amd64' })).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(failure(() => validatePlatform({ os: 'linux', architecture: '' })).message).toContain('platform.architecture');
  });
});
