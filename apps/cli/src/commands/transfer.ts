/** Moving files and images in and out: cp (through the system tar), save, load. */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CError } from '@c/errors';
import { rawCall } from '../api-extras';
import type { GlobalOptions } from '../context';
import { connect } from '../daemon/connect';

type Handler = (argv: Record<string, unknown>, globals: GlobalOptions) => Promise<void>;

/** `CONTAINER:PATH` → its parts; a plain path (or one starting with `/` or `.`) is local. */
export function splitCopyArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.') || arg === '-') return { path: arg };
  const colon = arg.indexOf(':');
  return colon > 0 ? { container: arg.slice(0, colon), path: arg.slice(colon + 1) || '/' } : { path: arg };
}

/** Runs tar with the given stdin/stdout wiring; rejects with its stderr on failure. */
function tar(args: string[], io: { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream }): Promise<NodeJS.ReadableStream | undefined> {
  const child = spawn('tar', args, { stdio: [io.input ? 'pipe' : 'ignore', io.output ? 'pipe' : 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<void>((ok, fail) =>
    child.on('close', (code) => (code === 0 ? ok() : fail(new CError('INTERNAL', `tar ${args.join(' ')} failed: ${stderr.trim()}`, { hint: 'check the paths' })))),
  );
  if (io.input && child.stdin) void pipeline(io.input, child.stdin).catch(() => undefined);
  if (io.output && child.stdout) void pipeline(child.stdout, io.output).catch(() => undefined);
  return done.then(() => undefined);
}

export const cp: Handler = async (argv, globals) => {
  const source = splitCopyArg(String(argv.source));
  const dest = splitCopyArg(String(argv.destination));
  if (Boolean(source.container) === Boolean(dest.container)) {
    throw new CError('INVALID_ARGUMENT', 'copying between containers or between local paths is not supported', { hint: 'one of SRC and DEST must be CONTAINER:PATH' });
  }
  const client = await connect(globals);
  if (source.container) {
    const { stat, tar: archive } = await client.containers.getArchive(source.container, source.path);
    if (dest.path === '-') {
      await pipeline(archive, process.stdout);
      return;
    }
    const target = resolve(dest.path);
    if (existsSync(target) && statSync(target).isDirectory()) {
      await tar(['-x', '-C', target], { input: archive });
      return;
    }
    // A new name: unpack next to it, then rename the one entry.
    const staging = mkdtempSync(join(dirname(target), '.c-cp-'));
    try {
      await tar(['-x', '-C', staging], { input: archive });
      const entry = existsSync(join(staging, stat.name)) ? stat.name : readdirSync(staging)[0];
      if (!entry) throw new CError('NOT_FOUND', `nothing copied from ${source.container}:${source.path}`, { hint: 'check the path in the container' });
      renameSync(join(staging, entry), target);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    return;
  }
  const container = dest.container!;
  const local = resolve(source.path);
  if (!existsSync(local)) throw new CError('NOT_FOUND', `no such local path: ${source.path}`, { hint: 'check the source path' });
  let targetDir = dest.path;
  let rename: string | undefined;
  try {
    const stat = await client.containers.statPath(container, dest.path);
    if ((stat.mode & 0x80000000) === 0) {
      // An existing file: replace it.
      targetDir = dirname(dest.path);
      rename = basename(dest.path);
    }
  } catch (error) {
    if (!(error instanceof CError) || error.code !== 'NOT_FOUND' || /no such container/i.test(error.message)) throw error;
    targetDir = dirname(dest.path);
    rename = basename(dest.path);
  }
  const name = basename(local);
  const transform = rename && rename !== name ? ['--transform', `s,^${name.replace(/[\\,.*[\]^$]/g, '\\$&')},${rename},`] : [];
  const archive = new PassThrough();
  const packed = tar(['-c', '-C', dirname(local), ...transform, name], { output: archive });
  await Promise.all([client.containers.putArchive(container, targetDir, archive), packed]);
};

export const save: Handler = async (argv, globals) => {
  const out = typeof argv.output === 'string' ? argv.output : undefined;
  if (!out && process.stdout.isTTY) throw new CError('INVALID_ARGUMENT', 'cowardly refusing to save to a terminal', { hint: 'use the -o flag or redirect' });
  const client = await connect(globals);
  const query = new URLSearchParams();
  for (const name of ([] as unknown[]).concat(argv.images ?? []).map(String)) query.append('names', name);
  const res = await rawCall(client, { method: 'GET', path: `/images/get?${query.toString()}` });
  await pipeline(res, out ? createWriteStream(out) : process.stdout);
};

export const load: Handler = async (argv, globals) => {
  const client = await connect(globals);
  const input = typeof argv.input === 'string' ? createReadStream(argv.input) : process.stdin;
  const res = await rawCall(client, { method: 'POST', path: '/images/load', query: { quiet: argv.quiet ? '1' : '0' }, body: input, contentType: 'application/x-tar' });
  const { parseNdjson } = await import('@c/api');
  for await (const value of parseNdjson(res)) {
    const message = value as { stream?: string; status?: string; error?: string };
    if (message.error) throw new CError('INVALID_ARGUMENT', message.error, { hint: 'give a tar made by c save or docker save' });
    process.stdout.write(message.stream ?? `${message.status ?? ''}\n`);
  }
};
