import { CError } from '@c/errors';
import { describe, expect, it } from 'vitest';
import { MAX_CONFIG_SIZE, checkConfigMatchesManifest, parseImageConfig } from './config';
import { MAX_MAP_ENTRIES } from './json-check';
import { parseManifest } from './manifest';
import { DOCKER_CONFIG, DOCKER_MANIFEST, encode } from './testdata/documents';
import type { ImageManifest } from './types';

function failure(fn: () => unknown): CError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CError);
    return error as CError;
  }
  throw new Error('expected a throw');
}

function edited(edit: (doc: any) => void): Uint8Array {
  const copy = structuredClone(DOCKER_CONFIG) as any;
  edit(copy);
  return encode(copy);
}

describe('parseImageConfig', () => {
  it('parses a docker-built config and drops Docker nulls', () => {
    const config = parseImageConfig(encode(DOCKER_CONFIG));
    expect(config.architecture).toBe('amd64');
    expect(config.os).toBe('linux');
    expect(config.config?.Cmd).toEqual(['sh']);
    expect(config.config?.Env?.[0]).toMatch(/^PATH=/);
    expect(config.config?.ExposedPorts).toEqual({ '80/tcp': {}, '53/udp': {} });
    expect(config.config?.Healthcheck?.Retries).toBe(3);
    expect(config.config?.Entrypoint).toBeUndefined();
    expect('Entrypoint' in (config.config ?? {})).toBe(false);
    expect(config.rootfs.diff_ids).toHaveLength(1);
    expect(config.history?.[1]?.empty_layer).toBe(true);
  });

  it('accepts a minimal OCI config', () => {
    const minimal = { architecture: 'arm64', os: 'linux', variant: 'v8', rootfs: { type: 'layers', diff_ids: [] } };
    expect(parseImageConfig(encode(minimal))).toEqual(minimal);
  });

  it.each<[string, (doc: any) => void, string]>([
    ['missing architecture', (d) => delete d.architecture, 'architecture'],
    ['empty os', (d) => (d.os = ''), 'os'],
    ['rootfs type', (d) => (d.rootfs.type = 'tarball'), 'rootfs.type'],
    ['missing rootfs', (d) => delete d.rootfs, 'rootfs'],
    ['bad diff id', (d) => (d.rootfs.diff_ids = ['sha256:zz']), 'rootfs.diff_ids[0]'],
    ['Cmd as string', (d) => (d.config.Cmd = 'sh'), 'config.Cmd'],
    ['Env entry not a string', (d) => (d.config.Env = [1]), 'config.Env[0]'],
    ['Env entry without a name', (d) => (d.config.Env = ['=x']), 'config.Env[0]'],
    ['Labels value', (d) => (d.config.Labels = { a: 1 }), 'config.Labels.a'],
    ['ExposedPorts value', (d) => (d.config.ExposedPorts = { '80/tcp': 1 }), 'config.ExposedPorts["80/tcp"]'],
    ['ExposedPorts key', (d) => (d.config.ExposedPorts = { http: {} }), 'config.ExposedPorts.http'],
    ['Volumes value', (d) => (d.config.Volumes = { '/data': [] }), 'config.Volumes["/data"]'],
    ['WorkingDir type', (d) => (d.config.WorkingDir = 1), 'config.WorkingDir'],
    ['Healthcheck.Test', (d) => (d.config.Healthcheck.Test = 'true'), 'config.Healthcheck.Test'],
    ['Healthcheck.Interval', (d) => (d.config.Healthcheck.Interval = '30s'), 'config.Healthcheck.Interval'],
    ['history entry', (d) => (d.history[1] = 'x'), 'history[1]'],
    ['history empty_layer', (d) => (d.history[0].empty_layer = 'yes'), 'history[0].empty_layer'],
    ['created', (d) => (d.created = 'yesterday'), 'created'],
    ['os.features', (d) => (d['os.features'] = [1]), '["os.features"][0]'],
  ])('names the path of the problem: %s', (_name, edit, path) => {
    const error = failure(() => parseImageConfig(edited(edit)));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details['path']).toBe(path);
    expect(error.message).toContain(`invalid image config: ${path}`);
  });

  it.each(['Labels', 'Volumes', 'ExposedPorts'])('refuses a %s map of more than MAX_MAP_ENTRIES entries, naming it', (map) => {
    const value = map === 'Labels' ? '' : {};
    const key = (i: number) => (map === 'ExposedPorts' ? `${i + 1}/tcp` : map === 'Volumes' ? `/v${i}` : `l${i}`);
    const atLimit = Object.fromEntries(Array.from({ length: MAX_MAP_ENTRIES }, (_, i) => [key(i), value]));
    expect(Object.keys(parseImageConfig(edited((d) => (d.config[map] = atLimit))).config?.[map as 'Labels'] ?? {})).toHaveLength(MAX_MAP_ENTRIES);
    const over = { ...atLimit, [key(MAX_MAP_ENTRIES)]: value };
    const error = failure(() => parseImageConfig(edited((d) => (d.config[map] = over))));
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.message).toBe(`invalid image config: config.${map}: ${MAX_MAP_ENTRIES + 1} entries, more than the ${MAX_MAP_ENTRIES} accepted`);
    expect(error.details).toMatchObject({ path: `config.${map}`, limit: MAX_MAP_ENTRIES });
  });

  it('bounds configs at 8 MiB', () => {
    expect(failure(() => parseImageConfig(new Uint8Array(MAX_CONFIG_SIZE + 1))).code).toBe('LIMIT_EXCEEDED');
  });
});

describe('checkConfigMatchesManifest', () => {
  const manifest = (parseManifest(encode(DOCKER_MANIFEST)) as { manifest: ImageManifest }).manifest;
  it('passes when there is one DiffID per layer', () => {
    expect(() => checkConfigMatchesManifest(manifest, parseImageConfig(encode(DOCKER_CONFIG)))).not.toThrow();
  });
  it('fails when the counts differ', () => {
    const config = parseImageConfig(edited((d) => d.rootfs.diff_ids.push(`sha256:${'9'.repeat(64)}`)));
    const error = failure(() => checkConfigMatchesManifest(manifest, config));
    expect(error.message).toBe('image config lists 2 layer DiffIDs (rootfs.diff_ids) but the manifest has 1 layers');
  });
});
