import { CError } from '@c/errors';
import { ARM64 } from './arm64';
import type { ArchTable } from './types';
import { X86_64 } from './x86_64';

export type { ArchTable, CompatArch } from './types';
export { X86_64 } from './x86_64';
export { ARM64 } from './arm64';

/** The table for a Node `process.arch` value; throws UNSUPPORTED for other architectures. */
export function archTable(nodeArch: string = process.arch): ArchTable {
  if (nodeArch === 'x64') return X86_64;
  if (nodeArch === 'arm64') return ARM64;
  throw new CError('UNSUPPORTED', `architecture ${nodeArch} is not supported by @c/namespaces`, {
    hint: 'run c on x86_64 or arm64 Linux',
    details: { arch: nodeArch },
  });
}
