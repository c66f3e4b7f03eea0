/**
 * The flags of the everyday commands as data (like create-flags.ts for run/create): one table feeds yargs
 * (table.ts, command-line.ts) and the yargs-free parser of fast-commands.ts, so both read the same spellings.
 */
import type { FlagSpec } from '../containers/create-flags';

export const PS_FLAGS: readonly FlagSpec[] = [
  { name: 'all', aliases: ['a'], type: 'boolean', describe: 'Show all containers (default shows just running)' },
  { name: 'quiet', aliases: ['q'], type: 'boolean', describe: 'Only display container IDs' },
  { name: 'trunc', type: 'boolean', default: true, describe: 'Truncate output (--no-trunc: full)' },
  { name: 'filter', aliases: ['f'], type: 'string', describe: 'Filter output based on conditions provided' },
  { name: 'format', type: 'string', describe: 'Format output using a Go template' },
  { name: 'last', aliases: ['n'], type: 'number', describe: 'Show n last created containers' },
  { name: 'latest', aliases: ['l'], type: 'boolean', describe: 'Show the latest created container' },
  { name: 'size', aliases: ['s'], type: 'boolean', describe: 'Display total file sizes' },
];

export const IMAGES_FLAGS: readonly FlagSpec[] = [
  { name: 'quiet', aliases: ['q'], type: 'boolean', describe: 'Only show image IDs' },
  { name: 'digests', type: 'boolean', describe: 'Show digests' },
  { name: 'trunc', type: 'boolean', default: true, describe: 'Truncate output (--no-trunc: full IDs)' },
];

export const LOGS_FLAGS: readonly FlagSpec[] = [
  { name: 'follow', aliases: ['f'], type: 'boolean', describe: 'Follow log output' },
  { name: 'tail', aliases: ['n'], type: 'string', describe: 'Number of lines to show from the end of the logs' },
  { name: 'since', type: 'string', describe: 'Show logs since timestamp or relative (e.g. 42m)' },
  { name: 'until', type: 'string', describe: 'Show logs before a timestamp' },
  { name: 'timestamps', aliases: ['t'], type: 'boolean', describe: 'Show timestamps' },
];

export const EXEC_FLAGS: readonly FlagSpec[] = [
  { name: 'interactive', aliases: ['i'], type: 'boolean', describe: 'Keep STDIN open even if not attached' },
  { name: 'tty', aliases: ['t'], type: 'boolean', describe: 'Allocate a pseudo-TTY' },
  { name: 'detach', aliases: ['d'], type: 'boolean', describe: 'Detached mode: run command in the background' },
  { name: 'env', aliases: ['e'], type: 'string', describe: 'Set environment variables' },
  { name: 'workdir', aliases: ['w'], type: 'string', describe: 'Working directory inside the container' },
  { name: 'user', aliases: ['u'], type: 'string', describe: 'Username or UID' },
];

export const RM_FLAGS: readonly FlagSpec[] = [
  { name: 'force', aliases: ['f'], type: 'boolean', describe: 'Force the removal of a running container (uses SIGKILL)' },
  { name: 'volumes', aliases: ['v'], type: 'boolean', describe: 'Remove anonymous volumes associated with the container' },
];

/** stop and restart. */
export const TIME_FLAGS: readonly FlagSpec[] = [
  { name: 'time', aliases: ['t'], type: 'number', describe: 'Seconds to wait before killing the container' },
];

/** version (and info). */
export const FORMAT_FLAGS: readonly FlagSpec[] = [
  { name: 'format', aliases: ['f'], type: 'string', describe: 'Format output using a Go template' },
];

export const START_FLAGS: readonly FlagSpec[] = [
  { name: 'attach', aliases: ['a'], type: 'boolean', describe: 'Attach STDOUT/STDERR and forward signals' },
  { name: 'interactive', aliases: ['i'], type: 'boolean', describe: "Attach container's STDIN" },
];

export const KILL_FLAGS: readonly FlagSpec[] = [{ name: 'signal', aliases: ['s'], type: 'string', describe: 'Signal to send to the container' }];

/** inspect (containers or images). */
export const INSPECT_FLAGS: readonly FlagSpec[] = [
  ...FORMAT_FLAGS,
  { name: 'type', type: 'string', choices: ['container', 'image'], describe: 'Only this type of object' },
];

export const PULL_FLAGS: readonly FlagSpec[] = [
  { name: 'platform', type: 'string', describe: 'Pull this platform (os/arch[/variant]) of a multi-platform image' },
  { name: 'quiet', aliases: ['q'], type: 'boolean', describe: 'Suppress verbose output' },
];

export const PUSH_FLAGS: readonly FlagSpec[] = [{ name: 'quiet', aliases: ['q'], type: 'boolean', describe: 'Suppress verbose output' }];

export const RMI_FLAGS: readonly FlagSpec[] = [{ name: 'force', aliases: ['f'], type: 'boolean', describe: 'Force removal of the image' }];
