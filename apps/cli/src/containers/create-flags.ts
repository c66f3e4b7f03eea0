/**
 * The flags of `c run` and `c create` as data. One table feeds yargs (help, validation, every unusual spelling)
 * and the fast parser of `c run` (fast-run.ts), which must not load yargs: building the command tree costs
 * ~40 ms of every start-up here, most of the time a short-lived `c run` has.
 */
import type { Argv } from 'yargs';

export interface FlagSpec {
  /** The long name, without dashes. */
  name: string;
  /** Other spellings: one letter for `-x`, longer ones for `--xyz`. */
  aliases?: readonly string[];
  type: 'boolean' | 'string' | 'number';
  /** Repeatable: the value is always a list. (Other flags given twice become a list too, as with yargs.) */
  array?: boolean;
  /** A boolean that is on unless `--no-NAME` is given. */
  default?: boolean;
  /** The only values a string flag takes. */
  choices?: readonly string[];
  describe: string;
}

export const NETWORK_FLAGS: readonly FlagSpec[] = [
  { name: 'publish', aliases: ['p'], type: 'string', array: true, describe: "Publish a container's port(s) to the host ([ip:][hostPort:]containerPort[/proto])" },
  { name: 'publish-all', aliases: ['P'], type: 'boolean', describe: 'Publish all exposed ports to random ports' },
  { name: 'expose', type: 'string', array: true, describe: 'Expose a port or a range of ports' },
  { name: 'network', aliases: ['net'], type: 'string', describe: 'Connect a container to a network (bridge, host, none, container:<name|id>, <network>)' },
  { name: 'network-alias', type: 'string', array: true, describe: 'Add network-scoped alias for the container' },
  { name: 'ip', type: 'string', describe: 'IPv4 address (e.g., 172.30.100.104)' },
  { name: 'dns', type: 'string', array: true, describe: 'Set custom DNS servers' },
  { name: 'dns-search', type: 'string', array: true, describe: 'Set custom DNS search domains' },
  { name: 'dns-option', type: 'string', array: true, describe: 'Set DNS options' },
  { name: 'add-host', type: 'string', array: true, describe: 'Add a custom host-to-IP mapping (host:ip)' },
];

/** The flags `c run` and `c create` share. */
export const CREATE_FLAGS: readonly FlagSpec[] = [
  ...NETWORK_FLAGS,
  { name: 'name', type: 'string', describe: 'Assign a name to the container' },
  { name: 'interactive', aliases: ['i'], type: 'boolean', describe: 'Keep STDIN open even if not attached' },
  { name: 'tty', aliases: ['t'], type: 'boolean', describe: 'Allocate a pseudo-TTY' },
  { name: 'env', aliases: ['e'], type: 'string', describe: 'Set environment variables' },
  { name: 'env-file', type: 'string', describe: 'Read in a file of environment variables' },
  { name: 'workdir', aliases: ['w'], type: 'string', describe: 'Working directory inside the container' },
  { name: 'user', aliases: ['u'], type: 'string', describe: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { name: 'entrypoint', type: 'string', describe: 'Overwrite the default ENTRYPOINT of the image' },
  { name: 'volume', aliases: ['v'], type: 'string', describe: 'Bind mount a volume (HOST:CONTAINER[:ro])' },
  { name: 'hostname', type: 'string', describe: 'Container host name' },
  { name: 'memory', aliases: ['m'], type: 'string', describe: 'Memory limit (512m, 1g)' },
  { name: 'cpus', type: 'string', describe: 'Number of CPUs' },
  { name: 'pids-limit', type: 'number', describe: 'Tune container pids limit' },
  { name: 'read-only', type: 'boolean', describe: "Mount the container's root filesystem as read only" },
  { name: 'cap-add', type: 'string', describe: 'Add Linux capabilities' },
  { name: 'cap-drop', type: 'string', describe: 'Drop Linux capabilities' },
  { name: 'restart', type: 'string', describe: 'Restart policy (no, always, on-failure[:N], unless-stopped)' },
  { name: 'health-cmd', type: 'string', describe: 'Command to run to check health' },
  { name: 'health-interval', type: 'string', describe: 'Time between running the check (ms|s|m|h)' },
  { name: 'health-timeout', type: 'string', describe: 'Maximum time to allow one check to run (ms|s|m|h)' },
  { name: 'health-retries', type: 'number', describe: 'Consecutive failures needed to report unhealthy' },
  { name: 'health-start-period', type: 'string', describe: 'Start period for the container to initialize (ms|s|m|h)' },
  { name: 'label', aliases: ['l'], type: 'string', describe: 'Set meta data on a container' },
  { name: 'rm', type: 'boolean', describe: 'Automatically remove the container when it exits' },
];

export const RUN_FLAGS: readonly FlagSpec[] = [
  ...CREATE_FLAGS,
  { name: 'detach', aliases: ['d'], type: 'boolean', describe: 'Run container in background and print container ID' },
];

/** Global flags (accepted before or after the command). */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: 'root', type: 'string', describe: 'Root of the local store (env C_ROOT, default /var/lib/c)' },
  { name: 'debug', aliases: ['D'], type: 'boolean', describe: 'Show error details (stack traces)' },
  { name: 'host', aliases: ['H'], type: 'string', describe: 'Daemon socket, unix:///PATH (env C_HOST; default <root>/c.sock with --root/C_ROOT, else /run/c/c.sock)' },
];

/** Every spelling of a flag as typed: `-x` for one letter, `--xyz` otherwise. */
export function spellings(spec: FlagSpec): string[] {
  return [spec.name, ...(spec.aliases ?? [])].map((name) => (name.length === 1 ? `-${name}` : `--${name}`));
}

/** The spellings of the flags in `specs` that take a value (the next argument). */
export function valueFlagSpellings(specs: readonly FlagSpec[]): string[] {
  return specs.filter((spec) => spec.type !== 'boolean').flatMap(spellings);
}

/** Declares `specs` on a yargs command. */
export function declareFlags(y: Argv, specs: readonly FlagSpec[], global = false): Argv {
  let argv = y;
  for (const spec of specs) {
    argv = argv.option(spec.name, {
      type: spec.type,
      describe: spec.describe,
      ...(spec.aliases ? { alias: [...spec.aliases] } : {}),
      ...(spec.array ? { array: true } : {}),
      ...(spec.default !== undefined ? { default: spec.default } : {}),
      ...(spec.choices ? { choices: [...spec.choices] } : {}),
      ...(spec.type !== 'boolean' && !global ? { requiresArg: true } : {}),
      ...(global ? { global: true } : {}),
    });
  }
  return argv;
}
