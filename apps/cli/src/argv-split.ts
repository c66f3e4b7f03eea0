/**
 * `c run [OPTIONS] IMAGE [COMMAND] [ARG...]`: everything after IMAGE belongs to the container, even when it looks
 * like a flag (`c run busybox ls -l`). yargs cannot know where IMAGE is, so the arguments are split here first and
 * the container's command is passed after `--`.
 */
import { NETWORK_VALUE_FLAGS } from './containers/network-flags';

/** Flags of run/create/exec that take a value (the next argument), short and long forms. */
export const VALUE_FLAGS = new Set([
  '--name', '-e', '--env', '--env-file', '-w', '--workdir', '-u', '--user', '--entrypoint', '-v', '--volume', '--hostname',
  '-m', '--memory', '--cpus', '--pids-limit', '--cap-add', '--cap-drop', '--restart', '--health-cmd', '--health-interval',
  '--health-timeout', '--health-retries', '--health-start-period', '-l', '--label', '--root', '-H', '--host', '--detach-keys',
  '--platform', ...NETWORK_VALUE_FLAGS,
]);

/** Global flags that may precede the command and take a value. */
const GLOBAL_VALUE_FLAGS = new Set(['--root', '-H', '--host']);

const SPLIT_COMMANDS = new Set(['run', 'create', 'exec']);

/** Index of the first argument that is not a flag or a flag's value, from `start`; -1 when none. */
function firstPositional(args: readonly string[], start: number, valueFlags: ReadonlySet<string>): number {
  for (let i = start; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return i + 1 < args.length ? i + 1 : -1;
    if (!arg.startsWith('-') || arg === '-') return i;
    if (!arg.includes('=') && valueFlags.has(arg)) i++;
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
