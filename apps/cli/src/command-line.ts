/**
 * `c`'s full command line (yargs). This file only declares the commands; each command's code is imported when that
 * command runs, so `c --help` loads nothing but yargs. Built as its own bundle (dist/c-commands.cjs), loaded by c.ts.
 */
import type { Argv } from 'yargs';
import { version } from '../package.json';
import { CError } from '@c/errors';
import { reportError } from './report-error';
import { splitContainerCommand } from './argv-split';
import { containerGroup, daemonCommand, imagePrune, systemGroup, topLevelCommands } from './commands/table';
import { lazy } from './lazy';
import { GLOBAL_FLAGS, declareFlags } from './containers/create-flags';
import { FORMAT_FLAGS, IMAGES_FLAGS, PULL_FLAGS, PUSH_FLAGS, RMI_FLAGS } from './commands/flags';
import { networkGroup } from './commands/network';
import { portCommand } from './commands/port';

const pull = {
  command: 'pull <image>',
  describe: 'Download an image from a registry',
  builder: (y: Argv) => declareFlags(y.positional('image', { type: 'string', demandOption: true, describe: 'NAME[:TAG|@DIGEST]' }), PULL_FLAGS),
  handler: lazy(() => import('./commands/pull')),
};

const push = {
  command: 'push <image>',
  describe: 'Upload an image to a registry',
  builder: (y: Argv) => declareFlags(y.positional('image', { type: 'string', demandOption: true, describe: 'NAME[:TAG]' }), PUSH_FLAGS),
  handler: lazy(() => import('./commands/push')),
};

const images = (command: string) => ({
  command,
  describe: 'List images',
  builder: (y: Argv) => declareFlags(y.positional('repository', { type: 'string', describe: 'Only images of this repository[:tag]' }), IMAGES_FLAGS),
  handler: lazy(() => import('./commands/images')),
});

const tag = {
  command: 'tag <source> <target>',
  describe: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  builder: (y: Argv) =>
    y
      .positional('source', { type: 'string', demandOption: true, describe: 'SOURCE_IMAGE[:TAG] or image ID' })
      .positional('target', { type: 'string', demandOption: true, describe: 'TARGET_IMAGE[:TAG]' }),
  handler: lazy(() => import('./commands/tag')),
};

const rmi = (command: string) => ({
  command,
  describe: 'Remove one or more images',
  builder: (y: Argv) => declareFlags(y.positional('images', { type: 'string', array: true, demandOption: true, describe: 'Names or IDs' }), RMI_FLAGS),
  handler: lazy(() => import('./commands/rmi')),
});

const inspect = {
  command: 'inspect <images..>',
  describe: 'Display detailed information on one or more images',
  builder: (y: Argv) => declareFlags(y.positional('images', { type: 'string', array: true, demandOption: true, describe: 'Names or IDs' }), FORMAT_FLAGS),
  handler: lazy(() => import('./commands/inspect')),
};

const importCommand = {
  command: 'import <file> <reference>',
  describe: 'Import the contents from a tarball to create a filesystem image',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'A tar or tar.gz file, or - for stdin' })
      .positional('reference', { type: 'string', demandOption: true, describe: 'REPOSITORY[:TAG]' })
      .option('change', { alias: 'c', type: 'string', requiresArg: true, describe: 'Apply a Dockerfile instruction (repeatable)' })
      .option('message', { alias: 'm', type: 'string', describe: 'Set a commit message for the imported image' })
      .option('platform', { type: 'string', describe: 'Set the platform (os/arch[/variant]) of the image' }),
  handler: lazy(() => import('./commands/import')),
};

const login = {
  command: 'login [server]',
  describe: 'Log in to a registry',
  builder: (y: Argv) =>
    y
      .positional('server', { type: 'string', describe: 'Registry host (default: Docker Hub)' })
      .option('username', { alias: 'u', type: 'string', describe: 'Username' })
      .option('password', { alias: 'p', type: 'string', describe: 'Password' })
      .option('password-stdin', { type: 'boolean', describe: 'Take the password from stdin' }),
  handler: lazy(() => import('./commands/login')),
};

const logout = {
  command: 'logout [server]',
  describe: 'Log out from a registry',
  builder: (y: Argv) => y.positional('server', { type: 'string', describe: 'Registry host (default: Docker Hub)' }),
  handler: lazy(() => import('./commands/logout')),
};


const imageGroup = {
  command: 'image',
  describe: 'Manage images',
  builder: (y: Argv) =>
    y
      .command(images('ls [repository]'))
      .command(images('list [repository]'))
      .command(rmi('rm <images..>'))
      .command(rmi('remove <images..>'))
      .command(pull)
      .command(push)
      .command(tag)
      .command(inspect)
      .command(importCommand)
      .command(imagePrune)
      .command({ command: 'mount <images..>', describe: 'Mount images\' root filesystems read-only and print their paths', builder: (m: Argv) => m.positional('images', { type: 'string', array: true, demandOption: true }), handler: lazy(() => import('./commands/image-mount'), 'mount') })
      .command({ command: 'unmount <images..>', aliases: ['umount'], describe: 'Release mounts of images', builder: (m: Argv) => m.positional('images', { type: 'string', array: true, demandOption: true }).option('all', { alias: 'a', type: 'boolean', describe: 'Release every mount of each image' }), handler: lazy(() => import('./commands/image-mount'), 'unmount') })
      .demandCommand(1, 'c image needs a subcommand'),
  handler: () => undefined,
};

export async function main(args: readonly string[]): Promise<void> {
  const { default: yargs } = await import('yargs');
  const cli = declareFlags(yargs(splitContainerCommand(args)).scriptName('c').usage('Usage: c [OPTIONS] COMMAND'), GLOBAL_FLAGS, true)
    .command(pull)
    .command(push)
    .command(images('images [repository]'))
    .command(tag)
    .command(rmi('rmi <images..>'))
    .command(imageGroup)
    .command(importCommand)
    .command(login)
    .command(logout)
    .command(topLevelCommands)
    .command(containerGroup)
    .command(networkGroup)
    .command(portCommand)
    .command(systemGroup)
    .command(daemonCommand)
    .version(`c version ${version}`)
    .parserConfiguration({ 'populate--': true, 'greedy-arrays': false })
    .help()
    .alias('help', 'h')
    .strict()
    .demandCommand(1, 'c needs a command')
    .fail((message, error) => {
      // Command failures arrive as `error`; yargs' own validation failures as a message, or as a YError (a flag
      // without its value): both are usage errors.
      if (error && error.name !== 'YError') throw error;
      throw new CError('INVALID_ARGUMENT', message ?? error.message, { hint: "see 'c --help'" });
    })
    .wrap(null);
  try {
    await cli.parseAsync();
  } catch (error) {
    process.exitCode = reportError(error, process.argv.includes('--debug') || process.argv.includes('-D'));
  }
}

