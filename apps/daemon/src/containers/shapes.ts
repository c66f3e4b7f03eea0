/** The engine's records → the JSON docker clients read (inspect, ps rows, stats, exec inspect). */
import { totalmem } from 'node:os';
import type { ContainerRecord, ContainerStats, ContainerSummary, ExecInspect } from '@c/engine';

/** What an empty network section looks like: c containers have only loopback (NetworkMode none). */
function networkSettings(): Record<string, unknown> {
  return {
    Bridge: '',
    SandboxID: '',
    SandboxKey: '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: {},
    EndpointID: '',
    Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    MacAddress: '',
    Networks: {},
  };
}

/** `GET /containers/{id}/json`: the record without c's bookkeeping, plus the sections docker always has. */
export function inspectDocument(record: ContainerRecord): Record<string, unknown> {
  const { C: _bookkeeping, ...rest } = record;
  return {
    ...rest,
    ExecIDs: null,
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    // The engine's live endpoints over docker's full (empty) shape.
    NetworkSettings: { ...networkSettings(), ...(record.NetworkSettings ?? {}) },
  };
}

/** A `GET /containers/json` row: the engine's summary plus the sections docker clients index into. */
export function summaryRow(summary: ContainerSummary, networkMode: string): Record<string, unknown> {
  return {
    ...summary,
    Ports: summary.Ports ?? [],
    HostConfig: { NetworkMode: networkMode },
    NetworkSettings: { Networks: {} },
  };
}

/** Host-wide CPU time in nanoseconds from /proc/stat's first line (docker's `system_cpu_usage`). */
export function systemCpuUsage(procStat: string): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const ticks = line.trim().split(/\s+/).slice(1, 8).map(Number).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  // USER_HZ is 100 on Linux.
  return ticks * 10_000_000;
}

export interface StatsSample {
  stats: ContainerStats;
  systemCpu: number;
}

/**
 * docker's stats JSON (`docker stats` computes CPU % from cpu/precpu deltas). Without a memory limit docker reports
 * the host's memory as the limit.
 */
export function statsDocument(record: ContainerRecord, current: StatsSample, previous: StatsSample | undefined): Record<string, unknown> {
  const cpu = (sample: StatsSample | undefined) =>
    sample
      ? {
          cpu_usage: { total_usage: sample.stats.cpu_stats.cpu_usage.total_usage, usage_in_kernelmode: 0, usage_in_usermode: 0 },
          system_cpu_usage: sample.systemCpu,
          online_cpus: sample.stats.cpu_stats.online_cpus,
          throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
        }
      : { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  const memory = current.stats.memory_stats;
  return {
    read: current.stats.read,
    preread: previous?.stats.read ?? '0001-01-01T00:00:00Z',
    pids_stats: current.stats.pids_stats,
    blkio_stats: { io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpu(current),
    precpu_stats: cpu(previous),
    memory_stats: { usage: memory.usage, ...(memory.max_usage !== undefined ? { max_usage: memory.max_usage } : {}), stats: {}, limit: memory.limit ?? totalmem(), ...(memory.failcnt !== undefined ? { failcnt: memory.failcnt } : {}) },
    name: record.Name,
    id: record.Id,
  };
}

/** `GET /exec/{id}/json`: the engine's exec state with the fields docker always sends. */
export function execDocument(exec: ExecInspect): Record<string, unknown> {
  return {
    CanRemove: false,
    DetachKeys: '',
    OpenStderr: true,
    OpenStdout: true,
    ...exec,
  };
}
