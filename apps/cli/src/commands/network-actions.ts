/** Handlers of `c network …` and `c port` (loaded only when one of them runs). */
import type { NetworkResource } from '@c/api';
import { CError, toCError } from '@c/errors';
import type { GlobalOptions } from '../context';
import { connect } from '../daemon/connect';
import { formatTable } from '../output/format';
import { printInspected } from '../output/inspect';
import { reportError } from '../report-error';

type Handler = (argv: Record<string, unknown>, globals: GlobalOptions) => Promise<void>;
const list = (value: unknown): string[] => ([] as unknown[]).concat(value ?? []).map(String);

/** `-f key=value` flags → docker's filters map. */
function filtersOf(argv: Record<string, unknown>): Record<string, string[]> | undefined {
  const filters: Record<string, string[]> = {};
  for (const entry of list(argv.filter)) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new CError('INVALID_ARGUMENT', `bad format of filter (expected name=value): ${entry}`, { hint: 'use --filter name=front' });
    (filters[entry.slice(0, eq)] ??= []).push(entry.slice(eq + 1));
  }
  return Object.keys(filters).length > 0 ? filters : undefined;
}

export function networkRows(networks: readonly NetworkResource[], noTrunc = false): string[][] {
  return networks.map((n) => [noTrunc ? n.Id : n.Id.slice(0, 12), n.Name, n.Driver, n.Scope]);
}

export const ls: Handler = async (argv, globals) => {
  const client = await connect(globals);
  const filters = filtersOf(argv);
  const networks = await client.networks.list(filters ? { filters } : {});
  if (argv.quiet) {
    for (const n of networks) process.stdout.write(`${argv['no-trunc'] ? n.Id : n.Id.slice(0, 12)}\n`);
    return;
  }
  process.stdout.write(formatTable(['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'], networkRows(networks, Boolean(argv['no-trunc']))));
};

export const create: Handler = async (argv, globals) => {
  const client = await connect(globals);
  const labels = Object.fromEntries(
    list(argv.label).map((l) => {
      const eq = l.indexOf('=');
      return eq === -1 ? [l, ''] : [l.slice(0, eq), l.slice(eq + 1)];
    }),
  );
  const subnet = typeof argv.subnet === 'string' ? argv.subnet : undefined;
  const gateway = typeof argv.gateway === 'string' ? argv.gateway : undefined;
  const created = await client.networks.create({
    Name: String(argv.name),
    Driver: typeof argv.driver === 'string' ? argv.driver : 'bridge',
    ...(argv.internal ? { Internal: true } : {}),
    ...(subnet || gateway ? { IPAM: { Config: [{ ...(subnet ? { Subnet: subnet } : {}), ...(gateway ? { Gateway: gateway } : {}) }] } } : {}),
    ...(Object.keys(labels).length > 0 ? { Labels: labels } : {}),
  });
  process.stdout.write(`${created.Id}\n`);
};

export const inspect: Handler = async (argv, globals) => {
  const client = await connect(globals);
  const found: NetworkResource[] = [];
  let failed = false;
  for (const name of list(argv.networks)) {
    try {
      found.push(await client.networks.inspect(name));
    } catch (error) {
      failed = true;
      reportError(toCError(error), globals.debug);
    }
  }
  printInspected(found, typeof argv.format === 'string' ? argv.format : undefined);
  if (failed) process.exitCode = 1;
};

export const rm: Handler = async (argv, globals) => {
  const client = await connect(globals);
  for (const name of list(argv.networks)) {
    try {
      await client.networks.remove(name);
      process.stdout.write(`${name}\n`);
    } catch (error) {
      process.exitCode = 1;
      reportError(toCError(error), globals.debug);
    }
  }
};

export const connectNetwork: Handler = async (argv, globals) => {
  const client = await connect(globals);
  const aliases = list(argv.alias);
  const ip = typeof argv.ip === 'string' ? argv.ip : undefined;
  await client.networks.connect(String(argv.network), {
    Container: String(argv.container),
    ...(aliases.length > 0 || ip ? { EndpointConfig: { ...(aliases.length > 0 ? { Aliases: aliases } : {}), ...(ip ? { IPAMConfig: { IPv4Address: ip } } : {}) } } : {}),
  });
};

export const disconnectNetwork: Handler = async (argv, globals) => {
  const client = await connect(globals);
  await client.networks.disconnect(String(argv.network), { Container: String(argv.container), ...(argv.force ? { Force: true } : {}) });
};

export const prune: Handler = async (argv, globals) => {
  if (!argv.force) {
    process.stderr.write('WARNING! This will remove all custom networks not used by at least one container.\nUse -f to skip this prompt.\n');
    throw new CError('INVALID_ARGUMENT', 'network prune needs --force in a non-interactive session', { hint: 'c network prune -f' });
  }
  const client = await connect(globals);
  const result = await client.networks.prune();
  const deleted = result.NetworksDeleted ?? [];
  if (deleted.length > 0) process.stdout.write(`Deleted Networks:\n${deleted.join('\n')}\n`);
};

/** `c port CONTAINER [PRIVATE_PORT[/PROTO]]` lines from inspect's NetworkSettings.Ports. */
export function portLines(ports: Record<string, { HostIp: string; HostPort: string }[] | null>, filter?: string): string[] {
  const wanted = filter === undefined ? undefined : filter.includes('/') ? filter : `${filter}/tcp`;
  const lines: string[] = [];
  const keys = Object.keys(ports).sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10) || a.localeCompare(b));
  for (const key of keys) {
    if (wanted !== undefined && key !== wanted) continue;
    for (const binding of ports[key] ?? []) {
      const address = `${binding.HostIp.includes(':') ? `[${binding.HostIp}]` : binding.HostIp}:${binding.HostPort}`;
      lines.push(wanted === undefined ? `${key} -> ${address}` : address);
    }
  }
  return lines;
}

export const port: Handler = async (argv, globals) => {
  const client = await connect(globals);
  const record = await client.containers.inspect(String(argv.container));
  const ports = ((record.NetworkSettings as { Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> }).Ports ?? {});
  const filter = typeof argv.port === 'string' || typeof argv.port === 'number' ? String(argv.port) : undefined;
  const lines = portLines(ports, filter);
  if (filter !== undefined && lines.length === 0) {
    throw new CError('NOT_FOUND', `No public port '${filter.includes('/') ? filter : `${filter}/tcp`}' published for ${String(argv.container)}`, { hint: `see c port ${String(argv.container)}` });
  }
  for (const line of lines) process.stdout.write(`${line}\n`);
};
