import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Handler } from './lazy';

/** What the real yargs command line (command-line.ts) hands a handler: captured instead of running it. */
interface Seen {
  handler: unknown;
  argv: Record<string, unknown>;
  globals: unknown;
}
let seen: Seen | undefined;

vi.mock(import('./lazy'), async (importOriginal) => {
  const original = await importOriginal();
  return {
    ...original,
    // The real lazy() wrapper (it merges `--` into `command`), around a handler that records its input.
    lazy: <M extends Record<string, unknown>>(load: () => Promise<M>, name: keyof M & string = 'run') =>
      original.lazy(async () => {
        const module = await load();
        const record: Handler = async (argv, globals) => {
          seen = { handler: module[name], argv, globals };
        };
        return { [name]: record } as unknown as M;
      }, name),
  };
});

const { main } = await import('./command-line');
const { parseFastCommand } = await import('./fast-commands');
const { globalsFrom } = await import('./lazy');
const { GLOBAL_FLAGS } = await import('./containers/create-flags');

afterEach(() => {
  seen = undefined;
  process.exitCode = undefined;
});

async function viaYargs(args: string[]): Promise<Seen> {
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await main(args);
  } finally {
    stderr.mockRestore();
  }
  if (!seen) throw new Error(`yargs ran no handler for ${JSON.stringify(args)} (exit code ${process.exitCode})`);
  return seen;
}

/** What a handler can read: every flag of the command and the globals, the positionals and exec's command. */
function readable(argv: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) if (argv[key] !== undefined) picked[key] = argv[key];
  // yargs turns numbers after `--` into numbers (`sleep 5`); the exec handler stringifies them, as it must.
  if (argv.command !== undefined) picked.command = ([] as unknown[]).concat(argv.command).map(String);
  return picked;
}

const SAME_AS_YARGS: string[][] = [
  ['ps'],
  ['ps', '-a'],
  ['ps', '-aq'],
  ['ps', '--no-trunc', '-a'],
  ['ps', '-a', '--format', '{{.ID}} {{.Names}}'],
  ['ps', '--format={{json .}}', '-f', 'status=running', '--filter', 'name=web'],
  ['ps', '-n', '3', '-s'],
  ['ps', '--last=2', '-l'],
  ['container', 'ls', '-a'],
  ['container', 'list', '-q'],
  ['container', 'ps'],
  ['-H', 'unix:///tmp/x.sock', 'ps', '-a'],
  ['--root', '/tmp/r', '-D', 'ps'],
  ['ps', '--root', '/tmp/r', '-D'],
  ['images'],
  ['images', '-q', 'busybox'],
  ['images', 'busybox:1', '--digests', '--no-trunc'],
  ['image', 'ls'],
  ['image', 'list', '-q'],
  ['version'],
  ['version', '-f', '{{.Server.Version}}'],
  ['-H', 'unix:///tmp/x.sock', 'version', '--format', '{{json .}}'],
  ['rm', 'web'],
  ['rm', '-f', 'web', 'db'],
  ['rm', 'web', '-fv', '123'],
  ['container', 'rm', '--force', 'web'],
  ['container', 'remove', 'web', '--volumes'],
  ['stop', 'web'],
  ['stop', '-t', '0', 'web', 'db'],
  ['stop', 'web', '--time=5'],
  ['container', 'stop', '-t', '1', 'web'],
  ['logs', 'web'],
  ['logs', '-f', 'web'],
  ['logs', '--tail', '5', '-t', 'web'],
  ['logs', 'web', '-n', 'all', '--since', '42m', '--until', '2026-01-01T00:00:00Z'],
  ['container', 'logs', '--timestamps', 'web'],
  ['exec', 'web', 'ls'],
  ['exec', '-it', 'web', 'sh'],
  ['exec', 'web', 'ls', '-l', '--', 'x'],
  ['exec', '-e', 'A=1', '--env=B=2', '-w', '/tmp', '-u', '1000', 'web', 'env'],
  ['exec', '-d', 'web', 'sleep', '5'],
  ['exec', 'web'],
  ['exec', '-ie', 'A=1', 'web', 'sh', '-c', 'echo $A'],
  ['container', 'exec', '-i', 'web', 'cat'],
  ['-D', 'exec', 'web', 'true'],
  ['exec', 'web', 'ls', '--help', '-h'],
  ['--root=', 'ps'],
  ['start', 'web'],
  ['start', '-ai', 'web'],
  ['container', 'start', '--attach', 'web', 'db'],
  ['restart', '-t', '3', 'web'],
  ['container', 'restart', 'web'],
  ['kill', 'web'],
  ['kill', '-s', 'HUP', 'web', 'db'],
  ['container', 'kill', '--signal=KILL', 'web'],
  ['wait', 'web', 'db'],
  ['container', 'wait', 'web'],
  ['pause', 'web'],
  ['unpause', 'web'],
  ['container', 'pause', 'web'],
  ['container', 'unpause', 'web'],
  ['inspect', 'web'],
  ['inspect', '-f', '{{.Id}}', 'web', 'busybox'],
  ['inspect', '--type', 'image', 'busybox'],
  ['inspect', '--type=container', 'web'],
  ['container', 'inspect', 'web'],
  ['image', 'inspect', 'busybox', '-f', '{{.Id}}'],
  ['pull', 'busybox'],
  ['pull', '-q', '--platform', 'linux/arm64', 'localhost:5000/busybox:1'],
  ['image', 'pull', 'busybox@sha256:0123'],
  ['push', 'localhost:5000/busybox:1'],
  ['image', 'push', '-q', 'localhost:5000/busybox:1'],
  ['tag', 'busybox', 'localhost:5000/busybox:1'],
  ['image', 'tag', 'busybox', 'b:2'],
  ['rmi', 'busybox'],
  ['rmi', '-f', 'busybox', 'b:2'],
  ['image', 'rm', 'busybox'],
  ['image', 'remove', '--force', 'busybox'],
];

describe('parseFastCommand', () => {
  it.each(SAME_AS_YARGS)('gives the handler what yargs gives it: %j', async (...args) => {
    const fast = parseFastCommand(args);
    expect(fast).toBeDefined();
    const slow = await viaYargs(args);
    expect(await fast!.command.handler()).toBe(slow.handler);
    const keys = [...fast!.command.flags, ...GLOBAL_FLAGS].map((spec) => spec.name).concat(fast!.command.positionals.map((p) => p.name));
    expect(readable(fast!.argv, keys)).toEqual(readable(slow.argv, keys));
    expect(globalsFrom(fast!.argv)).toEqual(slow.globals);
  });

  it.each([
    [['ps', '--help']],
    [['ps', '-h']],
    [['ps', '--version']],
    [['ps', 'extra']],
    [['ps', '--bogus']],
    [['ps', '-x']],
    [['ps', '--no-all']],
    [['ps', '--no-trunc=1']],
    [['ps', '--trunc=false']],
    [['ps', '-a', 'false']],
    [['ps', '-a', '-a']],
    [['ps', '-n']],
    [['ps', '-n', 'many']],
    [['ps', '-n', '']],
    [['ps', '--format']],
    [['ps', '--format', '-q']],
    [['ps', '-qn5']],
    [['rm']],
    [['rm', '-f']],
    [['rm', '--', '-f']],
    [['rm', '-']],
    [['logs']],
    [['logs', 'a', 'b']],
    [['exec']],
    [['exec', '-e']],
    [['image']],
    [['image', 'import', 'x', 'y']],
    [['container']],
    [['container', 'top', 'x']],
    [['network', 'ls']],
    [['inspect', '--type', 'volume', 'x']],
    [['inspect', '--type', 'image', '--type', 'image', 'x']],
    [['inspect']],
    [['tag', 'a']],
    [['tag', 'a', 'b', 'c']],
    [['pull']],
    [['pull', 'a', 'b']],
    [['pull', '--platform']],
    [['kill', '-s']],
    [['wait']],
    [['image', 'prune']],
    [['--bogus', 'ps']],
    [['-', 'ps']],
  ])('leaves unusual or wrong spellings to yargs: %j', (args) => {
    expect(parseFastCommand(args as string[])).toBeUndefined();
  });
});
