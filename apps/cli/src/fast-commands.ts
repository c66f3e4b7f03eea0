/**
 * The everyday commands (`ps`, `images`, `version`, `rm`, `stop`, `exec`, `logs`, `start`, `restart`, `kill`, `wait`,
 * `pause`, `unpause`, `inspect`, `pull`, `push`, `rmi`, `tag`, and their `container …`/`image …` forms) without yargs: loading and building yargs' command tree costs ~25 ms of CPU on every start-up here, more
 * than the command's own work. Parsed from the same flag tables as yargs (commands/flags.ts); any spelling not
 * certain to mean what yargs makes of it (help, `--`, an unknown flag, a missing value, too many arguments) returns
 * undefined and the full command line takes over. fast-commands.test.ts checks both give each handler the same.
 */
import { GLOBAL_FLAGS, type FlagSpec } from './containers/create-flags';
import {
  EXEC_FLAGS,
  FORMAT_FLAGS,
  IMAGES_FLAGS,
  INSPECT_FLAGS,
  KILL_FLAGS,
  LOGS_FLAGS,
  PS_FLAGS,
  PULL_FLAGS,
  PUSH_FLAGS,
  RM_FLAGS,
  RMI_FLAGS,
  START_FLAGS,
  TIME_FLAGS,
} from './commands/flags';
import { bySpelling, readFlag, readGlobalFlags } from './fast-flags';
import type { Handler } from './lazy';

interface Positional {
  name: string;
  required: boolean;
  /** Takes every remaining positional (`<containers..>`). */
  list?: boolean;
}

export interface FastCommand {
  flags: readonly FlagSpec[];
  positionals: readonly Positional[];
  /** exec: everything after the first positional is the container's command, flags included. */
  commandAfterFirst?: boolean;
  /** The handler yargs would run (the same function, loaded on use). */
  handler: () => Promise<Handler>;
}

const containers: Positional[] = [{ name: 'containers', required: true, list: true }];

const ps: FastCommand = { flags: PS_FLAGS, positionals: [], handler: async () => (await import('./commands/ps')).run };
const images: FastCommand = {
  flags: IMAGES_FLAGS,
  positionals: [{ name: 'repository', required: false }],
  handler: async () => (await import('./commands/images')).run,
};
const logs: FastCommand = {
  flags: LOGS_FLAGS,
  positionals: [{ name: 'container', required: true }],
  handler: async () => (await import('./commands/logs')).run,
};
const exec: FastCommand = {
  flags: EXEC_FLAGS,
  positionals: [{ name: 'container', required: true }],
  commandAfterFirst: true,
  handler: async () => (await import('./commands/exec')).run,
};
const version: FastCommand = { flags: FORMAT_FLAGS, positionals: [], handler: async () => (await import('./commands/introspect')).version };
const lifecycle = (flags: readonly FlagSpec[], name: 'rm' | 'stop' | 'start' | 'restart' | 'kill' | 'wait' | 'pause' | 'unpause'): FastCommand => ({
  flags,
  positionals: containers,
  handler: async () => (await import('./commands/lifecycle'))[name],
});
const rm = lifecycle(RM_FLAGS, 'rm');
const stop = lifecycle(TIME_FLAGS, 'stop');
const start = lifecycle(START_FLAGS, 'start');
const restart = lifecycle(TIME_FLAGS, 'restart');
const kill = lifecycle(KILL_FLAGS, 'kill');
const wait = lifecycle([], 'wait');
const pause = lifecycle([], 'pause');
const unpause = lifecycle([], 'unpause');
const inspect: FastCommand = {
  flags: INSPECT_FLAGS,
  positionals: [{ name: 'names', required: true, list: true }],
  handler: async () => (await import('./commands/introspect')).inspect,
};
const imageInspect: FastCommand = {
  flags: FORMAT_FLAGS,
  positionals: [{ name: 'images', required: true, list: true }],
  handler: async () => (await import('./commands/inspect')).run,
};
const image = [{ name: 'image', required: true }];
const pull: FastCommand = { flags: PULL_FLAGS, positionals: image, handler: async () => (await import('./commands/pull')).run };
const push: FastCommand = { flags: PUSH_FLAGS, positionals: image, handler: async () => (await import('./commands/push')).run };
const rmi: FastCommand = {
  flags: RMI_FLAGS,
  positionals: [{ name: 'images', required: true, list: true }],
  handler: async () => (await import('./commands/rmi')).run,
};
const tag: FastCommand = {
  flags: [],
  positionals: [
    { name: 'source', required: true },
    { name: 'target', required: true },
  ],
  handler: async () => (await import('./commands/tag')).run,
};

/** The command words as typed → the command (docker's group forms as declared in table.ts and command-line.ts). */
const COMMANDS = new Map<string, FastCommand>([
  ['ps', ps],
  ['container ps', ps],
  ['container ls', ps],
  ['container list', ps],
  ['images', images],
  ['image ls', images],
  ['image list', images],
  ['rm', rm],
  ['container rm', rm],
  ['container remove', rm],
  ['logs', logs],
  ['container logs', logs],
  ['exec', exec],
  ['container exec', exec],
  ['version', version],
  ...Object.entries({ stop, start, restart, kill, wait, pause, unpause, inspect }).flatMap(([name, command]) => [
    [name, command] as const,
    [`container ${name}`, command] as const,
  ]),
  ['pull', pull],
  ['image pull', pull],
  ['push', push],
  ['image push', push],
  ['tag', tag],
  ['image tag', tag],
  ['rmi', rmi],
  ['image rm', rmi],
  ['image remove', rmi],
  ['image inspect', imageInspect],
]);

export interface ParsedCommand {
  command: FastCommand;
  /** yargs-shaped: long names as keys (defaults included), the positionals by name, `command` for exec. */
  argv: Record<string, unknown>;
}

let globalFlags: Map<string, FlagSpec> | undefined;
const commandFlags = new Map<FastCommand, Map<string, FlagSpec>>();

/** Puts the positionals where yargs would; false when their number does not fit the command. */
function placePositionals(command: FastCommand, values: readonly string[], argv: Record<string, unknown>): boolean {
  let next = 0;
  for (const positional of command.positionals) {
    if (positional.list) {
      if (positional.required && next >= values.length) return false;
      argv[positional.name] = values.slice(next);
      next = values.length;
    } else if (next < values.length) {
      argv[positional.name] = values[next++];
    } else if (positional.required) {
      return false;
    }
  }
  return next === values.length;
}

/** `args` are the process arguments after `c`. */
export function parseFastCommand(args: readonly string[]): ParsedCommand | undefined {
  globalFlags ??= bySpelling(GLOBAL_FLAGS);
  const argv: Record<string, unknown> = {};
  let i = readGlobalFlags(args, globalFlags, argv);
  if (i === -1) return undefined;
  const group = args[i] === 'container' || args[i] === 'image';
  const command = COMMANDS.get(group ? `${args[i]} ${args[i + 1]}` : args[i]!);
  if (!command) return undefined;
  let flags = commandFlags.get(command);
  if (!flags) commandFlags.set(command, (flags = bySpelling(command.flags)));
  const known = (name: string) => globalFlags!.get(name) ?? flags.get(name);
  const positionals: string[] = [];
  for (i += group ? 2 : 1; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--' || arg === '-' || arg === '-h' || arg === '--help' || arg === '--version') return undefined;
    if (arg.startsWith('-')) {
      i = readFlag(args, i, known, argv);
      if (i === -1) return undefined;
      continue;
    }
    positionals.push(arg);
    if (command.commandAfterFirst) {
      argv.command = args.slice(i + 1);
      break;
    }
  }
  if (!placePositionals(command, positionals, argv)) return undefined;
  for (const spec of command.flags) if (spec.default !== undefined && argv[spec.name] === undefined) argv[spec.name] = spec.default;
  return { command, argv };
}
