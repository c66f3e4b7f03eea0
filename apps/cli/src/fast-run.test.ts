import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { splitContainerCommand } from './argv-split';
import { GLOBAL_FLAGS, RUN_FLAGS, declareFlags } from './containers/create-flags';
import { runFlagsFrom } from './containers/create';
import { globalsFrom } from './lazy';
import { parseFastRun } from './fast-run';

/** What the full (yargs) command line hands the run handler for the same arguments. */
async function viaYargs(args: string[]): Promise<Record<string, unknown>> {
  let seen: Record<string, unknown> | undefined;
  // The real command line declares `run` under `container` too; one spelling is enough here.
  const plain = args.filter((arg, i) => !(arg === 'container' && args[i + 1] === 'run'));
  await declareFlags(yargs(splitContainerCommand(plain)), GLOBAL_FLAGS, true)
    .command({
      command: 'run <image> [command..]',
      builder: (y) => declareFlags(y.positional('image', { type: 'string' }).positional('command', { type: 'string', array: true }), RUN_FLAGS),
      handler: (argv) => {
        seen = { ...argv, command: [...((argv.command as string[] | undefined) ?? []), ...((argv['--'] as string[] | undefined) ?? [])] };
      },
    })
    .parserConfiguration({ 'populate--': true, 'greedy-arrays': false })
    .strict()
    .fail((message) => {
      throw new Error(message);
    })
    .parseAsync();
  if (!seen) throw new Error('yargs did not run the handler');
  return seen;
}

const SAME_AS_YARGS: string[][] = [
  ['run', 'busybox'],
  ['run', '--rm', 'busybox', 'true'],
  ['-H', 'unix:///tmp/x.sock', 'run', '--rm', '--network', 'none', 'busybox', 'true'],
  ['--root', '/tmp/r', '-D', 'container', 'run', '-it', 'busybox', 'sh'],
  ['run', '-dit', '--name', 'web', '-p', '8080:80', '-p', '8443:443', 'nginx'],
  ['run', '-e', 'A=1', '--env=B=2', '-e', 'C', '-w', '/tmp', '-u', '1000:1000', 'busybox', 'env'],
  ['run', '--pids-limit', '5', '-m', '64m', '--cpus', '0.5', '--read-only', 'busybox', 'ls', '-l', '--', 'x'],
  ['run', '--', 'busybox', 'echo', '--rm'],
  ['run', '--rm', 'busybox', 'ls', '-la', '-e', 'x'],
  ['run', '-v', '/a:/b:ro', '--volume', '/c:/d', '--cap-add', 'NET_ADMIN', '--cap-drop=ALL', '-l', 'k=v', 'busybox'],
  ['run', '--health-cmd', 'true', '--health-retries', '3', '--restart', 'on-failure:2', '-P', '--expose', '80', 'busybox'],
  ['run', '--dns', '1.1.1.1', '--dns-search', 'example.com', '--add-host', 'h:1.2.3.4', '--network-alias', 'a', '--ip', '10.0.0.5', 'busybox'],
];

describe('parseFastRun', () => {
  it.each(SAME_AS_YARGS)('gives the run handler what yargs gives it: %j', async (...args) => {
    const fast = parseFastRun(args);
    expect(fast).toBeDefined();
    const slow = await viaYargs(args);
    expect(fast!.argv.image).toBe(slow.image);
    expect(fast!.argv.command).toEqual(slow.command);
    expect(globalsFrom(fast!.argv)).toEqual(globalsFrom(slow));
    expect(await runFlagsFrom(fast!.argv)).toEqual(await runFlagsFrom(slow));
  });

  it.each([
    [['run', '--help']],
    [['run', '-h']],
    [['--help']],
    [['ps']],
    [['run']],
    [['run', '--rm']],
    [['run', '--bogus', 'busybox']],
    [['run', '--no-rm', 'busybox']],
    [['run', '--rm=true', 'busybox']],
    [['run', '--name']],
    [['run', '-x', 'busybox']],
    [['run', '-ei', 'A=1', 'busybox']],
    [['run', '--pids-limit', 'many', 'busybox']],
    [['--bogus', 'run', 'busybox']],
    [['-', 'run', 'busybox']],
    [['run', '-e', '-x', 'busybox']],
    [['run', '--rm', 'true']],
    [['run', '-d', 'false', 'busybox']],
    [['run', '-d', '-d', 'busybox']],
  ])('leaves unusual or wrong spellings to yargs: %j', (args) => {
    expect(parseFastRun(args as string[])).toBeUndefined();
  });

  it('takes a value flag at the end of a short cluster (-ie X) as yargs does', async () => {
    // -ie A=1: i is a boolean, e takes the next argument.
    const args = ['run', '-ie', 'A=1', 'busybox'];
    const fast = parseFastRun(args);
    expect(fast).toBeDefined();
    expect(await runFlagsFrom(fast!.argv)).toEqual(await runFlagsFrom(await viaYargs(args)));
  });
});
