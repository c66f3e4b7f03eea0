/**
 * `c run [OPTIONS] IMAGE [COMMAND] [ARG...]`: everything after IMAGE belongs to the container, even when it looks
 * like a flag (`c run busybox ls -l`). yargs cannot know where IMAGE is, so the arguments are split here first and
 * the container's command is passed after `--`.
 */
import { GLOBAL_FLAGS, RUN_FLAGS, valueFlagSpellings } from './containers/create-flags';

/** Global flags that may precede the command and take a value. */
const GLOBAL_VALUE_FLAGS = new Set(valueFlagSpellings(GLOBAL_FLAGS));

/** Flags of run/create/exec that take a value (the next argument), short and long forms. */
export const VALUE_FLAGS = new Set([...valueFlagSpellings(RUN_FLAGS), ...GLOBAL_VALUE_FLAGS, '--detach-keys', '--platform']);

/** Commands whose arguments after the first positional belong to the container (or to `ps`, for top). */
const SPLIT_COMMANDS = new Set(['run', 'create', 'exec', 'top']);

/** Index of the first argument that is not a flag or a flag's value, from `start`; -1 when none. */
function firstPositional(args: readonly string[], start: number, valueFlags: ReadonlySet<string>): number {
  for (let i = start; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return i + 1 < args.length ? i + 1 : -1;
    if (!arg.startsWith('-') || arg === '-') return i;
    // `-x VALUE`, `--xyz VALUE`, and a cluster of short flags whose last letter takes a value (`-ie A=1`).
    const spelled = arg.startsWith('--') ? arg : `-${arg.slice(-1)}`;
    if (!arg.includes('=') && valueFlags.has(spelled)) i++;
  }
  return -1;
}

/** Rewrites `run [opts] IMAGE CMD...` to `run [opts] IMAGE -- CMD...`; other commands are returned unchanged. */
export function splitContainerCommand(args: readonly string[]): string[] {
  let at = firstPositional(args, 0, GLOBAL_VALUE_FLAGS);
  if (at === -1) return [...args];
  if (args[at] === 'container' && args[at + 1] && SPLIT_COMMANDS.has(args[at + 1]!)) at += 1;
  if (!SPLIT_COMMANDS.has(args[at]!)) return [...args];
  const image = firstPositional(args, at + 1, VALUE_FLAGS);
  if (image === -1 || image + 1 >= args.length) return [...args];
  const head = args.slice(0, image + 1).filter((arg, i) => !(arg === '--' && i === image - 1));
  return [...head, '--', ...args.slice(image + 1)];
}
