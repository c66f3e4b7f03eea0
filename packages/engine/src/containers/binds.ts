/** `-v host:container[:ro|rw]` bind specs → mount points; only absolute host paths (named volumes come later). */
import { CError } from '@c/errors';
import type { MountPoint } from './types';

export function parseBinds(binds: readonly string[]): MountPoint[] {
  return binds.map((bind) => {
    const parts = bind.split(':');
    const [source, destination, mode = ''] = parts;
    const invalid = (why: string) =>
      new CError('INVALID_ARGUMENT', `invalid volume specification: '${bind}': ${why}`, {
        hint: 'use -v /host/path:/container/path[:ro]',
        details: { bind },
      });
    if (parts.length < 2 || parts.length > 3 || !source || !destination) throw invalid('expected host:container[:mode]');
    if (!source.startsWith('/')) throw invalid('named volumes are not supported yet; give an absolute host path');
    if (!destination.startsWith('/')) throw invalid('the container path must be absolute');
    if (destination === '/') throw invalid('cannot bind over the container root');
    if (destination.split('/').includes('..')) throw invalid('the container path must not contain ".."');
    const modes = mode === '' ? [] : mode.split(',');
    for (const m of modes) if (m !== 'ro' && m !== 'rw') throw invalid(`unknown mode "${m}"`);
    const rw = !modes.includes('ro');
    return { Type: 'bind', Source: source, Destination: destination, Mode: mode, RW: rw, Propagation: 'rprivate' };
  });
}
