/** The yargs declarations of `c network …` (docker's names and flags); handlers live in network-actions.ts. */
import type { Argv } from 'yargs';
import { lazy } from '../lazy';

const actions = () => import('./network-actions');
const names = (y: Argv) => y.positional('networks', { type: 'string', array: true, demandOption: true, describe: 'Network names or IDs' });
const pair = (y: Argv) => y.positional('network', { type: 'string', demandOption: true }).positional('container', { type: 'string', demandOption: true });

export const networkGroup = {
  command: 'network',
  describe: 'Manage networks',
  builder: (y: Argv) =>
    y
      .command({
        command: 'ls',
        aliases: ['list'],
        describe: 'List networks',
        builder: (a: Argv) =>
          a
            .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only display network IDs' })
            .option('no-trunc', { type: 'boolean', describe: 'Do not truncate the output' })
            .option('filter', { alias: 'f', type: 'string', array: true, requiresArg: true, describe: 'Provide filter values (e.g. driver=bridge)' }),
        handler: lazy(actions, 'ls'),
      })
      .command({
        command: 'create <name>',
        describe: 'Create a network',
        builder: (a: Argv) =>
          a
            .positional('name', { type: 'string', demandOption: true })
            .option('driver', { alias: 'd', type: 'string', describe: 'Driver to manage the Network (bridge)' })
            .option('subnet', { type: 'string', describe: 'Subnet in CIDR format' })
            .option('gateway', { type: 'string', describe: 'IPv4 Gateway for the master subnet' })
            .option('internal', { type: 'boolean', describe: 'Restrict external access to the network' })
            .option('label', { type: 'string', array: true, requiresArg: true, describe: 'Set metadata on a network' }),
        handler: lazy(actions, 'create'),
      })
      .command({
        command: 'inspect <networks..>',
        describe: 'Display detailed information on one or more networks',
        builder: (a: Argv) => names(a).option('format', { alias: 'f', type: 'string', describe: 'Format output using a Go template' }),
        handler: lazy(actions, 'inspect'),
      })
      .command({ command: 'rm <networks..>', aliases: ['remove'], describe: 'Remove one or more networks', builder: names, handler: lazy(actions, 'rm') })
      .command({
        command: 'connect <network> <container>',
        describe: 'Connect a container to a network',
        builder: (a: Argv) =>
          pair(a)
            .option('alias', { type: 'string', array: true, requiresArg: true, describe: 'Add network-scoped alias for the container' })
            .option('ip', { type: 'string', describe: 'IPv4 address' }),
        handler: lazy(actions, 'connectNetwork'),
      })
      .command({
        command: 'disconnect <network> <container>',
        describe: 'Disconnect a container from a network',
        builder: (a: Argv) => pair(a).option('force', { alias: 'f', type: 'boolean', describe: 'Force the container to disconnect from a network' }),
        handler: lazy(actions, 'disconnectNetwork'),
      })
      .command({
        command: 'prune',
        describe: 'Remove all unused networks',
        builder: (a: Argv) => a.option('force', { alias: 'f', type: 'boolean', describe: 'Do not prompt for confirmation' }),
        handler: lazy(actions, 'prune'),
      })
      .demandCommand(1, 'c network needs a subcommand'),
  handler: () => undefined,
};
