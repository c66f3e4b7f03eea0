/** Read-only views of containers: inspect, top, diff, stats, events, info, version, system df. */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { ContainerStatsResponse } from '@c/api';
import { CError, isCError, toCError } from '@c/errors';
import { version as clientVersion } from '../../package.json';
import type { GlobalOptions } from '../context';
import { connect } from '../daemon/connect';
import { diskUsageRows } from '../output/disk-usage';
import { formatTable, humanSize, shortId } from '../output/format';
import { printInspected } from '../output/inspect';
import { renderTemplate } from '../output/template';
import { reportError } from '../report-error';
import { parseFilterFlags } from './ps';

type Handler = (argv: Record<string, unknown>, globals: GlobalOptions) => Promise<void>;
const names = (value: unknown): string[] => ([] as unknown[]).concat(value ?? []).map(String);
const format = (argv: Record<string, unknown>): string | undefined => (typeof argv.format === 'string' ? argv.format : undefined);

/** `c inspect NAME...`: a container, else an image (docker's order); `--type` narrows it. */
export const inspect: Handler = async (argv, globals) => {
  const client = await connect(globals);
  const found: unknown[] = [];
  const errors: unknown[] = [];
  for (const name of names(argv.names)) {
    try {
      if (argv.type !== 'image') {
        try {
          found.push(await client.containers.inspect(name));
          continue;
        } catch (error) {
          if (!isCError(error, 'NOT_FOUND') || argv.type === 'container') throw error;
        }
      }
      found.push(await client.images.inspect(name));
    } catch (error) {
      errors.push(isCError(error, 'NOT_FOUND') ? new CError('NOT_FOUND', `No such object: ${name}`, { hint: "list them with 'c ps -a' or 'c images'" }) : error);
    }
  }
  printInspected(found, format(argv));
  for (const error of errors) process.exitCode = reportError(toCError(error), globals.debug);
};

export const top: Handler = async (argv, globals) => {
  const client = await connect(globals);
  // Everything after the container is ps's (argv-split passes it after `--`, which lazy() puts in argv.command).
  const psArgs = [...((argv.psArgs as unknown[] | undefined) ?? []), ...((argv.command as unknown[] | undefined) ?? [])].map(String);
  const result = await client.containers.top(String(argv.container), psArgs.length ? { psArgs: psArgs.join(' ') } : {});
  process.stdout.write(formatTable(result.Titles, result.Processes));
};

const KIND = ['C', 'A', 'D'];
export const diff: Handler = async (argv, globals) => {
  const client = await connect(globals);
  for (const change of (await client.containers.changes(String(argv.container))) ?? []) process.stdout.write(`${KIND[change.Kind] ?? '?'} ${change.Path}\n`);
};

/** docker's stats columns from one sample (CPU % over the sample's own previous reading). */
export function statsRow(s: ContainerStatsResponse): string[] {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  const cpu = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * (s.cpu_stats.online_cpus ?? 1) * 100 : 0;
  const usage = (s.memory_stats.usage ?? 0) - (s.memory_stats.stats?.inactive_file ?? s.memory_stats.stats?.total_inactive_file ?? 0);
  const limit = s.memory_stats.limit ?? 0;
  const binary = (n: number): string => {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let u = 0;
    while (n >= 1024 && u < units.length - 1) (n /= 1024), u++;
    return `${Number(n.toFixed(2))}${units[u]}`;
  };
  return [
    shortId(s.id),
    s.name.replace(/^\//, ''),
    `${cpu.toFixed(2)}%`,
    `${binary(usage)} / ${binary(limit)}`,
    `${limit > 0 ? ((usage / limit) * 100).toFixed(2) : '0.00'}%`,
    String(s.pids_stats.current ?? 0),
  ];
}
const STATS_HEADER = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS'];

export const stats: Handler = async (argv, globals) => {
  const client = await connect(globals);
  let ids = names(argv.containers);
  if (ids.length === 0) ids = (await client.containers.list()).map((c) => c.Id);
  if (argv.stream === false) {
    const rows = await Promise.all(ids.map(async (id) => statsRow(await client.containers.stats(id))));
    process.stdout.write(formatTable(STATS_HEADER, rows));
    return;
  }
  const latest = new Map<string, string[]>();
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  await Promise.all(
    ids.map(async (id) => {
      try {
        for await (const sample of client.containers.statsStream(id, { signal: controller.signal })) {
          latest.set(id, statsRow(sample));
          process.stdout.write(`\x1b[2J\x1b[H${formatTable(STATS_HEADER, ids.flatMap((i) => latest.get(i) ?? []).length ? ids.map((i) => latest.get(i) ?? [shortId(i)]) : [])}`);
        }
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      }
    }),
  );
};

export const events: Handler = async (argv, globals) => {
  const client = await connect(globals);
  const filters = parseFilterFlags(names(argv.filter));
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const fmt = format(argv);
  try {
    for await (const event of client.events({
      signal: controller.signal,
      ...(typeof argv.since === 'string' ? { since: argv.since } : {}),
      ...(typeof argv.until === 'string' ? { until: argv.until } : {}),
      ...(Object.keys(filters).length ? { filters } : {}),
    })) {
      if (fmt) {
        process.stdout.write(renderTemplate(fmt, [event]));
        continue;
      }
      const time = new Date(Math.floor(event.timeNano / 1e6)).toISOString().replace('Z', '000000Z');
      const attributes = Object.entries(event.Actor.Attributes).map(([k, v]) => `${k}=${v}`).join(', ');
      process.stdout.write(`${time} ${event.Type} ${event.Action} ${event.Actor.ID}${attributes ? ` (${attributes})` : ''}\n`);
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
};

export const info: Handler = async (argv, globals) => {
  const client = await connect(globals);
  const i = await client.info();
  if (format(argv)) {
    process.stdout.write(renderTemplate(format(argv)!, [i]));
    return;
  }
  process.stdout.write(
    [
      'Client:',
      ` Version:    ${clientVersion}`,
      ` Context:    unix://${client.socketPath}`,
      '',
      'Server:',
      ` Containers: ${i.Containers}`,
      `  Running: ${i.ContainersRunning}`,
      `  Paused: ${i.ContainersPaused}`,
      `  Stopped: ${i.ContainersStopped}`,
      ` Images: ${i.Images}`,
      ` Server Version: ${(i as { ServerVersion?: string }).ServerVersion ?? ''}`,
      ` Storage Driver: ${i.Driver}`,
      ` Logging Driver: ${i.LoggingDriver}`,
      ` Cgroup Driver: ${i.CgroupDriver}`,
      ` Cgroup Version: ${i.CgroupVersion}`,
      ` Kernel Version: ${i.KernelVersion}`,
      ` Operating System: ${i.OperatingSystem}`,
      ` OSType: ${i.OSType}`,
      ` Architecture: ${i.Architecture}`,
      ` CPUs: ${i.NCPU}`,
      ` Total Memory: ${humanSize(i.MemTotal)}`,
      ` Name: ${i.Name}`,
      ` ID: ${i.ID}`,
      ` Docker Root Dir: ${i.DockerRootDir}`,
      '',
    ].join('\n'),
  );
};

export const version: Handler = async (argv, globals) => {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const client = [
    'Client:',
    ` Version:           ${clientVersion}`,
    ` Node:              ${process.version}`,
    ` OS/Arch:           ${process.platform}/${arch}`,
    '',
  ];
  process.stdout.write(client.join('\n'));
  try {
    const v = await (await connect(globals)).version();
    if (format(argv)) {
      process.stdout.write(renderTemplate(format(argv)!, [{ Server: v }]));
      return;
    }
    process.stdout.write(
      ['', 'Server:', ` Version:           ${v.Version}`, ` API version:       ${v.ApiVersion} (minimum version ${v.MinAPIVersion})`, ` Git commit:        ${v.GitCommit}`, ` OS/Arch:           ${v.Os}/${v.Arch}`, ''].join('\n'),
    );
  } catch (error) {
    process.exitCode = reportError(toCError(error), globals.debug);
  }
};

/** `c system df`: the daemon's exact totals (shared layers once; RECLAIMABLE is what `prune -a` frees) when it sends them. */
export const df: Handler = async (argv, globals) => {
  const client = await connect(globals);
  const usage = await client.systemDf();
  process.stdout.write(formatTable(['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], diskUsageRows(usage)));
};

/** `c export [-o FILE] CONTAINER`: the filesystem as a tar; refuses to write a tar to a terminal, like docker. */
export const exportContainer: Handler = async (argv, globals) => {
  const out = typeof argv.output === 'string' ? argv.output : undefined;
  if (!out && process.stdout.isTTY) {
    throw new CError('INVALID_ARGUMENT', 'cowardly refusing to save to a terminal', { hint: 'use the -o flag or redirect' });
  }
  const client = await connect(globals);
  const tar = await client.containers.export(String(argv.container));
  await pipeline(tar, out ? createWriteStream(out) : process.stdout);
};

export const commit: Handler = async (argv, globals) => {
  const client = await connect(globals);
  const target = typeof argv.repository === 'string' ? argv.repository : undefined;
  const colon = target ? target.lastIndexOf(':') : -1;
  const split = target && colon > target.lastIndexOf('/') ? { repo: target.slice(0, colon), tag: target.slice(colon + 1) } : { repo: target ?? '' };
  const result = await client.containers.commit(String(argv.container), {
    ...split,
    ...(typeof argv.message === 'string' ? { comment: argv.message } : {}),
    ...(typeof argv.author === 'string' ? { author: argv.author } : {}),
    ...(argv.change !== undefined ? { changes: names(argv.change) } : {}),
    ...(argv.pause === false ? { pause: false } : {}),
  });
  process.stdout.write(`${result.Id}\n`);
};
