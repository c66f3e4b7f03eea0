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

/** Read and check `<bundle>/config.json`; the rootfs directory must exist (it may be empty for an overlay rootfs). */
export function loadBundle(bundleDir: string): LoadedBundle {
  const bundle = resolve(bundleDir);
  const configPath = `${bundle}/config.json`;
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (cause) {
    throw new CError('NOT_FOUND', `cannot read ${configPath}`, { cause, hint: 'pass --bundle DIR with a config.json (c-runtime spec writes one)', details: { path: configPath } });
  }
  let spec: Spec;
  try {
    spec = JSON.parse(text) as Spec;
  } catch (cause) {
    throw new CError('INVALID_ARGUMENT', `${configPath} is not valid JSON`, { cause, hint: 'fix the JSON syntax', details: { path: configPath } });
  }
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
