/** docker ps's view of a container: the summary row and its human Status column. */
import type { ContainerRecord, ContainerSummary, PortRow } from './types';

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 1) return 'Less than a second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? 'About a minute' : `${m} minutes`;
  const h = Math.round(m / 60);
  if (h < 48) return h === 1 ? 'About an hour' : `${h} hours`;
  return `${Math.round(h / 24)} days`;
}

/** docker ps's human Status column. */
export function statusText(record: ContainerRecord, now: Date): string {
  const s = record.State;
  switch (s.Status) {
    case 'created':
      return 'Created';
    case 'running':
      return `Up ${ago(now.getTime() - Date.parse(s.StartedAt))}${s.Health ? ` (${s.Health.Status === 'starting' ? 'health: starting' : s.Health.Status})` : ''}`;
    case 'paused':
      return `Up ${ago(now.getTime() - Date.parse(s.StartedAt))} (Paused)`;
    case 'restarting':
      return `Restarting (${s.ExitCode}) ${ago(now.getTime() - Date.parse(s.FinishedAt))} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'exited':
      return `Exited (${s.ExitCode}) ${ago(now.getTime() - Date.parse(s.FinishedAt))} ago`;
  }
}

export function summaryOf(record: ContainerRecord, now: Date): ContainerSummary {
  const argv = [record.Path, ...record.Args].map((a) => (/\s/.test(a) ? `'${a}'` : a));
  return {
    Id: record.Id,
    Names: [record.Name],
    Image: record.Config.Image,
    ImageID: record.Image,
    Command: argv.join(' '),
    Created: Math.floor(Date.parse(record.Created) / 1000),
    State: record.State.Status,
    Status: statusText(record, now),
    Labels: { ...record.Config.Labels },
    Mounts: record.Mounts.map((m) => ({ ...m })),
    Ports: portRows(record),
  };
}

/** docker ps's Ports: one row per published binding, one without PublicPort per exposed but unpublished port. */
function portRows(record: ContainerRecord): PortRow[] {
  const rows: PortRow[] = [];
  for (const [key, bindings] of Object.entries(record.NetworkSettings?.Ports ?? {})) {
    const [port = '0', proto = 'tcp'] = key.split('/');
    const Type = proto as PortRow['Type'];
    if (bindings === null || bindings.length === 0) rows.push({ PrivatePort: Number(port), Type });
    else for (const b of bindings) rows.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type });
  }
  return rows;
}
