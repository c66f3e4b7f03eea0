/** `c port CONTAINER [PRIVATE_PORT[/PROTO]]`: the container's published ports (handler in network-actions.ts). */
import type { Argv } from 'yargs';
import { lazy } from '../lazy';

export const portCommand = {
  command: 'port <container> [port]',
  describe: 'List port mappings or a specific mapping for the container',
  builder: (y: Argv) => y.positional('container', { type: 'string', demandOption: true }).positional('port', { type: 'string', describe: 'PRIVATE_PORT[/PROTO]' }),
  handler: lazy(() => import('./network-actions'), 'port'),
};
