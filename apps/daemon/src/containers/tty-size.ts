/** The `h` and `w` of docker's resize endpoints. */
import { CError } from '@c/errors';
import type { TtySize } from '@c/engine';
import { queryInt } from '../http/params';

export function ttySize(query: URLSearchParams): TtySize {
  const height = queryInt(query, 'h');
  const width = queryInt(query, 'w');
  if (height === undefined || width === undefined) {
    throw new CError('INVALID_ARGUMENT', 'resize needs both h and w', { hint: 'POST …/resize?h=ROWS&w=COLUMNS' });
  }
  return { height, width };
}
