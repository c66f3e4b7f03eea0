/**
 * Creating a container from run/create flags, pulling the image when the daemon does not have it (docker's
 * behaviour: create → 404 "No such image" → pull with progress on stderr → create again).
 */
import { promises as fs } from 'node:fs';
import type { EngineClient } from '@c/api';
import { CError, isCError } from '@c/errors';
import { createBody, type RunFlags } from './create-body';
import { parseEnvFile } from './env-file';
import { networkFlagsFrom } from './network-flags';

const list = (value: unknown): string[] | undefined => (value === undefined ? undefined : ([] as unknown[]).concat(value).map(String));
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined);

/** yargs' argv of run/create → RunFlags (env files read here). */
export async function runFlagsFrom(argv: Record<string, unknown>): Promise<RunFlags> {
  const envFromFiles: string[] = [];
  for (const file of list(argv['env-file']) ?? []) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      throw new CError('INVALID_ARGUMENT', `open ${file}: ${(error as Error).message}`, { hint: 'give the path of an existing env file', cause: error });
    }
    envFromFiles.push(...parseEnvFile(text, process.env, file));
  }
  const flags: RunFlags = {
    image: String(argv.image),
    command: list(argv.command) ?? [],
    tty: Boolean(argv.tty),
    interactive: Boolean(argv.interactive),
    detach: Boolean(argv.detach),
    rm: Boolean(argv.rm),
    envFromFiles,
    readOnly: Boolean(argv['read-only']),
  };
  const optional: Partial<RunFlags> = {
    env: list(argv.env),
    workdir: str(argv.workdir),
    user: str(argv.user),
    entrypoint: str(argv.entrypoint),
    volume: list(argv.volume),
    hostname: str(argv.hostname),
    memory: str(argv.memory),
    cpus: str(argv.cpus),
    pidsLimit: typeof argv['pids-limit'] === 'number' ? argv['pids-limit'] : undefined,
    capAdd: list(argv['cap-add']),
    capDrop: list(argv['cap-drop']),
    restart: str(argv.restart),
    healthCmd: str(argv['health-cmd']),
    healthInterval: str(argv['health-interval']),
    healthTimeout: str(argv['health-timeout']),
    healthRetries: typeof argv['health-retries'] === 'number' ? argv['health-retries'] : undefined,
    healthStartPeriod: str(argv['health-start-period']),
    label: list(argv.label),
    network: networkFlagsFrom(argv),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (flags as unknown as Record<string, unknown>)[key] = value;
  return flags;
}

/**
 * Runs `create` (a request that creates a container of `image`); when the daemon does not have the image, pulls it
 * with progress on stderr and runs `create` again, as docker does.
 */
export async function withImage<T>(client: EngineClient, image: string, create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (error) {
    if (!isCError(error, 'NOT_FOUND') || !/no such image/i.test(error.message)) throw error;
    process.stderr.write(`Unable to find image '${image}' locally\n`);
    const { pullImage } = await import('../commands/pull');
    await pullImage(client, image, { quiet: false, out: process.stderr });
    return await create();
  }
}

export function printWarnings(warnings: readonly string[] | null | undefined): void {
  for (const warning of warnings ?? []) process.stderr.write(`WARNING: ${warning}\n`);
}

export async function createContainer(client: EngineClient, flags: RunFlags, name: string | undefined): Promise<string> {
  const body = createBody(flags);
  const options = name ? { name } : {};
  const created = await withImage(client, flags.image, () => client.containers.create(body, options));
  printWarnings(created.Warnings);
  return created.Id;
}
