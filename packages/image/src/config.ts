/**
 * Parsing and validation of image configs (OCI `application/vnd.oci.image.config.v1+json`, which Docker's
 * `application/vnd.docker.container.image.v1+json` shares). Docker writes `null` for empty lists and maps;
 * those are dropped so callers see `undefined` only.
 */
import { CError } from '@c/errors';
import {
  type CheckContext,
  type JsonObject,
  expectArray,
  expectBoolean,
  expectDigest,
  expectInteger,
  expectNonEmptyString,
  expectObject,
  expectObjectMap,
  expectStringArray,
  expectStringMap,
  invalidAt,
  isObject,
  joinPath,
  optionalString,
} from './json-check';
import { decodeJsonDocument } from './manifest';
import type { ImageConfig, ImageManifest } from './types';

/** Configs carry the whole build history, so they get more room than manifests, but still a bound. */
export const MAX_CONFIG_SIZE = 8 * 1024 * 1024;

const CONFIG_CTX: CheckContext = { document: 'image config' };

/** Removes members whose value is `null` (Docker's encoding of empty slices and maps). */
function dropNulls(obj: JsonObject, keys: readonly string[]): void {
  for (const key of keys) if (obj[key] === null) delete obj[key];
}

const CONTAINER_CONFIG_NULLABLE = [
  'User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal',
  'Healthcheck', 'OnBuild', 'Shell', 'StopTimeout', 'ArgsEscaped',
] as const;

function checkHealthcheck(ctx: CheckContext, value: unknown, path: string): void {
  const obj = expectObject(ctx, value, path);
  dropNulls(obj, ['Test']);
  if (obj['Test'] !== undefined) expectStringArray(ctx, obj['Test'], joinPath(path, 'Test'));
  for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries']) {
    if (obj[key] !== undefined && obj[key] !== null) expectInteger(ctx, obj[key], joinPath(path, key));
  }
}

function checkContainerConfig(ctx: CheckContext, value: unknown, path: string): void {
  const obj = expectObject(ctx, value, path);
  dropNulls(obj, CONTAINER_CONFIG_NULLABLE);
  optionalString(ctx, obj, 'User', path);
  optionalString(ctx, obj, 'WorkingDir', path);
  optionalString(ctx, obj, 'StopSignal', path);
  for (const key of ['Env', 'Entrypoint', 'Cmd', 'OnBuild', 'Shell']) {
    if (obj[key] !== undefined) expectStringArray(ctx, obj[key], joinPath(path, key));
  }
  if (obj['Env'] !== undefined) {
    (obj['Env'] as string[]).forEach((entry, i) => {
      if (entry === '' || entry.startsWith('=')) {
        throw invalidAt(ctx, joinPath(joinPath(path, 'Env'), i), `"${entry}" is not KEY=value`);
      }
    });
  }
  if (obj['ExposedPorts'] !== undefined) {
    const ports = expectObjectMap(ctx, obj['ExposedPorts'], joinPath(path, 'ExposedPorts'));
    for (const port of Object.keys(ports)) {
      if (!/^\d{1,5}(?:-\d{1,5})?(?:\/(?:tcp|udp|sctp))?$/i.test(port)) {
        throw invalidAt(ctx, joinPath(joinPath(path, 'ExposedPorts'), port), 'is not port[/tcp|udp|sctp]');
      }
    }
  }
  if (obj['Volumes'] !== undefined) expectObjectMap(ctx, obj['Volumes'], joinPath(path, 'Volumes'));
  if (obj['Labels'] !== undefined) expectStringMap(ctx, obj['Labels'], joinPath(path, 'Labels'));
  if (obj['Healthcheck'] !== undefined) checkHealthcheck(ctx, obj['Healthcheck'], joinPath(path, 'Healthcheck'));
  if (obj['StopTimeout'] !== undefined) expectInteger(ctx, obj['StopTimeout'], joinPath(path, 'StopTimeout'));
  if (obj['ArgsEscaped'] !== undefined) expectBoolean(ctx, obj['ArgsEscaped'], joinPath(path, 'ArgsEscaped'));
}

function checkHistory(ctx: CheckContext, value: unknown, path: string): void {
  expectArray(ctx, value, path).forEach((entry, i) => {
    const entryPath = joinPath(path, i);
    const obj = expectObject(ctx, entry, entryPath);
    for (const key of ['created', 'created_by', 'author', 'comment']) optionalString(ctx, obj, key, entryPath);
    if (obj['empty_layer'] !== undefined) expectBoolean(ctx, obj['empty_layer'], joinPath(entryPath, 'empty_layer'));
  });
}

/** Checks an already-decoded image config; returns it with Docker's `null`s removed. */
export function checkImageConfig(value: unknown, ctx: CheckContext = CONFIG_CTX): ImageConfig {
  const obj = expectObject(ctx, value, '');
  dropNulls(obj, ['config', 'history', 'created', 'author', 'variant', 'os.version', 'os.features']);
  expectNonEmptyString(ctx, obj['architecture'], 'architecture');
  expectNonEmptyString(ctx, obj['os'], 'os');
  for (const key of ['variant', 'os.version', 'created', 'author']) optionalString(ctx, obj, key, '');
  if (obj['os.features'] !== undefined) expectStringArray(ctx, obj['os.features'], joinPath('', 'os.features'));
  if (obj['created'] !== undefined && Number.isNaN(Date.parse(obj['created'] as string))) {
    throw invalidAt(ctx, 'created', `"${String(obj['created'])}" is not an RFC 3339 date-time`);
  }
  if (obj['config'] !== undefined) checkContainerConfig(ctx, obj['config'], 'config');
  const rootfs = expectObject(ctx, obj['rootfs'], 'rootfs');
  if (rootfs['type'] !== 'layers') {
    throw invalidAt(ctx, 'rootfs.type', `expected "layers", found ${JSON.stringify(rootfs['type']) ?? 'nothing'}`);
  }
  if (rootfs['diff_ids'] === null) rootfs['diff_ids'] = [];
  expectArray(ctx, rootfs['diff_ids'], 'rootfs.diff_ids').forEach((diffId, i) =>
    expectDigest(ctx, diffId, joinPath('rootfs.diff_ids', i)),
  );
  if (obj['history'] !== undefined) checkHistory(ctx, obj['history'], 'history');
  return obj as unknown as ImageConfig;
}

/** Parses and validates image config bytes (at most 8 MiB). */
export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  const decoded = decodeJsonDocument(bytes, MAX_CONFIG_SIZE, 'image config');
  if (!isObject(decoded)) throw invalidAt(CONFIG_CTX, '', 'expected a JSON object');
  return checkImageConfig(decoded);
}

/**
 * Checks that a manifest and its config describe the same layers: one DiffID per layer (what docker checks
 * on pull; history is not compared, since real images often disagree there).
 */
export function checkConfigMatchesManifest(manifest: ImageManifest, config: ImageConfig): void {
  const layers = manifest.layers.length;
  const diffIds = config.rootfs.diff_ids.length;
  if (layers !== diffIds) {
    throw new CError(
      'INVALID_ARGUMENT',
      `image config lists ${diffIds} layer DiffIDs (rootfs.diff_ids) but the manifest has ${layers} layers`,
      {
        hint: 'the image is inconsistent; rebuild or re-push it',
        details: { layers, diffIds, config: manifest.config.digest },
      },
    );
  }
}
