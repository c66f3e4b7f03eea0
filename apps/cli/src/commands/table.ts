/**
 * The yargs declarations of the container, system and daemon commands (docker's names and flags). Handlers are
 * loaded lazily: `c run` loads run.ts, the api client and nothing of the engine.
 */
import type { Argv, CommandModule } from 'yargs';
import { lazy } from '../lazy';
import { CREATE_FLAGS, RUN_FLAGS, declareFlags } from '../containers/create-flags';
import { EXEC_FLAGS, FORMAT_FLAGS, INSPECT_FLAGS, KILL_FLAGS, LOGS_FLAGS, PS_FLAGS, RM_FLAGS, START_FLAGS, TIME_FLAGS } from './flags';

/** One command declaration; yargs' generic option types are erased here (every handler reads a plain record). */
interface Command {
  command: string;
  describe: string;
  aliases?: string[];
  builder: (y: Argv) => unknown;
  handler: (argv: Record<string, unknown>) => Promise<void> | undefined;
}
const asModules = (list: readonly Command[]): CommandModule[] => list as unknown as CommandModule[];

const run = () => import('./run');
const lifecycle = () => import('./lifecycle');
const introspect = () => import('./introspect');
const prune = () => import('./prune');
const transfer = () => import('./transfer');

const many = (name: string, describe = 'Container names or IDs') => (y: Argv) => y.positional(name, { type: 'string', array: true, demandOption: true, describe });

/** The positionals of `c run` and `c create`; their flags are data in create-flags.ts. */
function createPositionals(y: Argv): Argv {
  return y
    .positional('image', { type: 'string', demandOption: true, describe: 'Image to run' })
    .positional('command', { type: 'string', array: true, describe: 'Command and arguments' });
}

const runCommand = {
  command: 'run <image> [command..]',
  describe: 'Create and run a new container from an image',
  builder: (y: Argv) => declareFlags(createPositionals(y), RUN_FLAGS),
  handler: lazy(run),
};

const createCommand = {
  command: 'create <image> [command..]',
  describe: 'Create a new container',
  builder: (y: Argv) => declareFlags(createPositionals(y), CREATE_FLAGS),
  handler: lazy(lifecycle, 'create'),
};

const timeOption = (y: Argv) => declareFlags(y, TIME_FLAGS);

const commands: Command[] = [
  runCommand,
  createCommand,
  {
    command: 'start <containers..>',
    describe: 'Start one or more stopped containers',
    builder: (y: Argv) => declareFlags(many('containers')(y), START_FLAGS),
    handler: lazy(lifecycle, 'start'),
  },
  { command: 'stop <containers..>', describe: 'Stop one or more running containers', builder: (y: Argv) => timeOption(many('containers')(y)), handler: lazy(lifecycle, 'stop') },
  { command: 'restart <containers..>', describe: 'Restart one or more containers', builder: (y: Argv) => timeOption(many('containers')(y)), handler: lazy(lifecycle, 'restart') },
  {
    command: 'kill <containers..>',
    describe: 'Kill one or more running containers',
    builder: (y: Argv) => declareFlags(many('containers')(y), KILL_FLAGS),
    handler: lazy(lifecycle, 'kill'),
  },
  {
    command: 'rm <containers..>',
    describe: 'Remove one or more containers',
    builder: (y: Argv) => declareFlags(many('containers')(y), RM_FLAGS),
    handler: lazy(lifecycle, 'rm'),
  },
  {
    command: 'ps',
    describe: 'List containers',
    builder: (y: Argv) => declareFlags(y, PS_FLAGS),
    handler: lazy(() => import('./ps')),
  },
  {
    command: 'logs <container>',
    describe: 'Fetch the logs of a container',
    builder: (y: Argv) => declareFlags(y.positional('container', { type: 'string', demandOption: true }), LOGS_FLAGS),
    handler: lazy(() => import('./logs')),
  },
  {
    command: 'exec <container> [command..]',
    describe: 'Execute a command in a running container',
    builder: (y: Argv) =>
      declareFlags(y.positional('container', { type: 'string', demandOption: true }).positional('command', { type: 'string', array: true }), EXEC_FLAGS),
    handler: lazy(() => import('./exec')),
  },
  {
    command: 'inspect <names..>',
    describe: 'Return low-level information on containers or images',
    builder: (y: Argv) => declareFlags(many('names', 'Container or image names or IDs')(y), INSPECT_FLAGS),
    handler: lazy(introspect, 'inspect'),
  },
  { command: 'wait <containers..>', describe: 'Block until containers stop, then print their exit codes', builder: many('containers'), handler: lazy(lifecycle, 'wait') },
  {
    command: 'attach <container>',
    describe: "Attach local standard input, output, and error streams to a running container",
    builder: (y: Argv) => y.positional('container', { type: 'string', demandOption: true }).option('stdin', { type: 'boolean', default: true, describe: 'Attach STDIN (--no-stdin: do not)' }),
    handler: lazy(lifecycle, 'attach'),
  },
  {
    command: 'top <container> [psArgs..]',
    describe: 'Display the running processes of a container (c top CONTAINER [ps OPTIONS])',
    builder: (y: Argv) => y.positional('container', { type: 'string', demandOption: true }).positional('psArgs', { type: 'string', array: true }),
    handler: lazy(introspect, 'top'),
  },
  {
    command: 'stats [containers..]',
    describe: 'Display a live stream of container resource usage statistics',
    builder: (y: Argv) => y.positional('containers', { type: 'string', array: true }).option('stream', { type: 'boolean', default: true, describe: '--no-stream: one sample' }),
    handler: lazy(introspect, 'stats'),
  },
  {
    command: 'cp <source> <destination>',
    describe: 'Copy files/folders between a container and the local filesystem',
    builder: (y: Argv) => y.positional('source', { type: 'string', demandOption: true }).positional('destination', { type: 'string', demandOption: true }),
    handler: lazy(transfer, 'cp'),
  },
  { command: 'diff <container>', describe: "Inspect changes to files on a container's filesystem", builder: (y: Argv) => y.positional('container', { type: 'string', demandOption: true }), handler: lazy(introspect, 'diff') },
  {
    command: 'commit <container> [repository]',
    describe: "Create a new image from a container's changes",
    builder: (y: Argv) =>
      y
        .positional('container', { type: 'string', demandOption: true })
        .positional('repository', { type: 'string' })
        .option('message', { alias: 'm', type: 'string', describe: 'Commit message' })
        .option('author', { alias: 'a', type: 'string', describe: 'Author' })
        .option('change', { alias: 'c', type: 'string', requiresArg: true, describe: 'Apply Dockerfile instruction to the created image' })
        .option('pause', { alias: 'p', type: 'boolean', default: true, describe: 'Pause container during commit (--pause=false: read it live)' }),
    handler: lazy(introspect, 'commit'),
  },
  { command: 'pause <containers..>', describe: 'Pause all processes within one or more containers', builder: many('containers'), handler: lazy(lifecycle, 'pause') },
  { command: 'unpause <containers..>', describe: 'Unpause all processes within one or more containers', builder: many('containers'), handler: lazy(lifecycle, 'unpause') },
  {
    command: 'rename <container> <name>',
    describe: 'Rename a container',
    builder: (y: Argv) => y.positional('container', { type: 'string', demandOption: true }).positional('name', { type: 'string', demandOption: true }),
    handler: lazy(lifecycle, 'rename'),
  },
  {
    command: 'export <container>',
    describe: "Export a container's filesystem as a tar archive",
    builder: (y: Argv) => y.positional('container', { type: 'string', demandOption: true }).option('output', { alias: 'o', type: 'string', describe: 'Write to a file, instead of STDOUT' }),
    handler: lazy(introspect, 'exportContainer'),
  },
];


const containerPrune = {
  command: 'prune',
  describe: 'Remove all stopped containers',
  builder: (y: Argv) => y.option('force', { alias: 'f', type: 'boolean', describe: 'Do not prompt for confirmation' }),
  handler: lazy(prune, 'containerPrune'),
};

export const imagePrune = {
  command: 'prune',
  describe: 'Remove unused images',
  builder: (y: Argv) =>
    y
      .option('all', { alias: 'a', type: 'boolean', describe: 'Remove all unused images, not just dangling ones' })
      .option('force', { alias: 'f', type: 'boolean', describe: 'Do not prompt for confirmation' }),
  handler: lazy(prune, 'imagePrune'),
};

const otherTopLevel: Command[] = [
  {
    command: 'save <images..>',
    describe: 'Save one or more images to a tar archive',
    builder: (y: Argv) => many('images', 'Image names')(y).option('output', { alias: 'o', type: 'string', describe: 'Write to a file, instead of STDOUT' }),
    handler: lazy(transfer, 'save'),
  },
  {
    command: 'load',
    describe: 'Load an image from a tar archive or STDIN',
    builder: (y: Argv) =>
      y.option('input', { alias: 'i', type: 'string', describe: 'Read from tar archive file, instead of STDIN' }).option('quiet', { alias: 'q', type: 'boolean', describe: 'Suppress the load output' }),
    handler: lazy(transfer, 'load'),
  },
  {
    command: 'events',
    describe: 'Get real time events from the server',
    builder: (y: Argv) =>
      y
        .option('since', { type: 'string', describe: 'Show all events created since timestamp' })
        .option('until', { type: 'string', describe: 'Stream events until this timestamp' })
        .option('filter', { alias: 'f', type: 'string', requiresArg: true, describe: 'Filter output based on conditions provided' })
        .option('format', { type: 'string', describe: 'Format output using a Go template' }),
    handler: lazy(introspect, 'events'),
  },
  {
    command: 'info',
    describe: 'Display system-wide information',
    builder: (y: Argv) => y.option('format', { alias: 'f', type: 'string', describe: 'Format output using a Go template' }),
    handler: lazy(introspect, 'info'),
  },
  {
    command: 'version',
    describe: 'Show the c version information',
    builder: (y: Argv) => declareFlags(y, FORMAT_FLAGS),
    handler: lazy(introspect, 'version'),
  },
];

/** The container commands at the top level (docker's short forms), plus save/load/events/info/version. */
export const topLevelCommands = asModules([...commands, ...otherTopLevel]);

export const containerGroup = {
  command: 'container',
  describe: 'Manage containers',
  builder: (y: Argv) => {
    return y
      .command(asModules(commands))
      .command(asModules([{ ...commands.find((c) => c.command === 'ps')!, command: 'ls', aliases: ['list'] }]))
      .command(asModules([{ ...commands.find((c) => c.command.startsWith('rm '))!, command: 'remove <containers..>' }]))
      .command(containerPrune)
      .demandCommand(1, 'c container needs a subcommand');
  },
  handler: () => undefined,
};

export const systemGroup = {
  command: 'system',
  describe: 'Manage c',
  builder: (y: Argv) =>
    y
      .command({ command: 'df', describe: 'Show disk usage', builder: (a: Argv) => a, handler: lazy(introspect, 'df') })
      .command({
        command: 'prune',
        describe: 'Remove unused data',
        builder: (a: Argv) =>
          a
            .option('all', { alias: 'a', type: 'boolean', describe: 'Remove all unused images not just dangling ones' })
            .option('force', { alias: 'f', type: 'boolean', describe: 'Do not prompt for confirmation' }),
        handler: lazy(prune, 'systemPrune'),
      })
      .command(asModules(otherTopLevel.filter((c) => c.command === 'info' || c.command === 'events')))
      .demandCommand(1, 'c system needs a subcommand'),
  handler: () => undefined,
};

export const daemonCommand = {
  command: 'daemon',
  describe: 'Run the c daemon in the foreground',
  builder: (y: Argv) => y,
  handler: lazy(() => import('./daemon')),
};
