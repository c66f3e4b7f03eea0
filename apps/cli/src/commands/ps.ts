import type { ContainerSummary } from '@c/api';
import { CError } from '@c/errors';
import type { GlobalOptions } from '../context';
import { connect } from '../daemon/connect';
import { humanDuration, humanSize, shortId } from '../output/format';
import { renderTemplate } from '../output/template';

/** The fields docker's `ps --format` offers, as docker computes them. */
export interface PsRow {
  ID: string;
  Image: string;
  Command: string;
  CreatedAt: string;
  RunningFor: string;
  Ports: string;
  Status: string;
  State: string;
  Names: string;
  Labels: string;
  Size: string;
}

export function psRow(c: ContainerSummary, noTrunc: boolean, now: number = Date.now()): PsRow {
  const command = noTrunc || c.Command.length <= 20 ? c.Command : `${c.Command.slice(0, 19)}…`;
  return {
    ID: noTrunc ? c.Id : shortId(c.Id),
    Image: c.Image,
    Command: `"${command}"`,
    CreatedAt: new Date(c.Created * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
    RunningFor: `${humanDuration(Math.max(0, now - c.Created * 1000))} ago`,
    Ports: c.Ports.map((p) => (p.PublicPort ? `${p.IP ?? '0.0.0.0'}:${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`)).join(', '),
    Status: c.Status,
    State: c.State,
    Names: c.Names.map((n) => n.replace(/^\//, '')).join(','),
    Labels: Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
    // docker: the writable layer, then the whole root filesystem as "virtual" (only with --size).
    Size: c.SizeRw === undefined ? '' : `${humanSize(c.SizeRw)} (virtual ${humanSize(c.SizeRootFs ?? c.SizeRw)})`,
  };
}

export const PS_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
/** docker's table with `--size`: one more column. */
export const PS_SIZE_TABLE = `${PS_TABLE}\t{{.Size}}`;

/** `--filter k=v` (repeatable) → the API's filters map. */
export function parseFilterFlags(values: readonly string[]): Record<string, string[]> {
  const filters: Record<string, string[]> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new CError('INVALID_ARGUMENT', `bad format of filter (expected name=value): ${value}`, { hint: 'write --filter status=running' });
    (filters[value.slice(0, eq)] ??= []).push(value.slice(eq + 1));
  }
  return filters;
}

export function renderPs(rows: readonly PsRow[], options: { quiet: boolean; format: string | undefined }): string {
  if (options.quiet) return rows.map((r) => `${r.ID}\n`).join('');
  return renderTemplate(options.format ?? PS_TABLE, rows);
}

export async function run(argv: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const filters = parseFilterFlags(([] as unknown[]).concat(argv.filter ?? []).map(String));
  const last = typeof argv.last === 'number' && argv.last > 0 ? argv.last : argv.latest ? 1 : undefined;
  const client = await connect(globals);
  const list = await client.containers.list({
    all: Boolean(argv.all) || last !== undefined,
    ...(last !== undefined ? { limit: last } : {}),
    ...(argv.size ? { size: true } : {}),
    ...(Object.keys(filters).length ? { filters } : {}),
  });
  const format = typeof argv.format === 'string' ? argv.format : argv.size ? PS_SIZE_TABLE : undefined;
  process.stdout.write(renderPs(list.map((c) => psRow(c, argv.trunc === false)), { quiet: Boolean(argv.quiet), format }));
}
