import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CError } from '@c/errors';
import type { Spec } from '../spec/types';
import { validateSpec } from '../spec/validate';
import type { ValidatedSpec } from '../spec/validate';

export interface LoadedBundle {
  bundle: string;
  rootfs: string;
  validated: ValidatedSpec;
}

/**
 * Read and check `<bundle>/config.json`; the rootfs directory must exist (it may be empty for an overlay rootfs).
 * `written` is that file's content as an object, from a caller that has just written it (the engine): it is
 * checked as the file would be, without reading and parsing the file again.
 */
export function loadBundle(bundleDir: string, written?: Spec): LoadedBundle {
  const bundle = resolve(bundleDir);
  const configPath = `${bundle}/config.json`;
  const spec = written ?? readSpecFile(configPath);
  const validated = validateSpec(spec);
  const rootfs = resolve(bundle, spec.root!.path);
  let isDir = false;
  try {
    isDir = statSync(rootfs).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new CError('NOT_FOUND', `rootfs ${rootfs} is not a directory`, { hint: 'unpack an image there or fix root.path', details: { path: rootfs } });
  }
  return { bundle, rootfs, validated };
}

function readSpecFile(configPath: string): Spec {
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (cause) {
    throw new CError('NOT_FOUND', `cannot read ${configPath}`, { cause, hint: 'pass --bundle DIR with a config.json (c-runtime spec writes one)', details: { path: configPath } });
  }
  try {
    return JSON.parse(text) as Spec;
  } catch (cause) {
    throw new CError('INVALID_ARGUMENT', `${configPath} is not valid JSON`, { cause, hint: 'fix the JSON syntax', details: { path: configPath } });
  }
}
