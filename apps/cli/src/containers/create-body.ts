/**
 * `c run` / `c create` flags → the body of `POST /containers/create`, the way docker's CLI maps them.
 * Pure (the env files are read by the caller), so every flag is unit-tested.
 */
import type { ContainerCreateRequest } from '@c/api';
import { CError } from '@c/errors';
import { envFlag } from './env-file';
import { applyNetworkFlags, type NetworkFlags } from './network-flags';

export interface RunFlags {
  image: string;
  command: string[];
  tty?: boolean;
  interactive?: boolean;
  detach?: boolean;
  rm?: boolean;
  env?: string[];
  /** Lines already read from --env-file files (they come first: -e wins). */
  envFromFiles?: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  volume?: string[];
  hostname?: string;
  memory?: string;
  cpus?: string;
  pidsLimit?: number;
  readOnly?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  restart?: string;
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: number;
  healthStartPeriod?: string;
  label?: string[];
  network?: NetworkFlags;
}

function invalid(message: string, hint: string): CError {
  return new CError('INVALID_ARGUMENT', message, { hint });
}

/** docker's RAMInBytes: `512m`, `1g`, `1024` (bytes), binary multiples. */
export function parseMemory(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)b?$/i.exec(text.trim());
  if (!match) throw invalid(`invalid memory size: ${text}`, 'use a number with an optional unit: 512m, 1g');
  const power = ' kmgtp'.indexOf((match[2] ?? '').toLowerCase() || ' ');
  return Math.round(Number(match[1]) * 1024 ** power);
}

/** `1.5` CPUs → 1.5e9 NanoCpus. */
export function parseCpus(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw invalid(`invalid --cpus value: ${text}`, 'give a positive number of CPUs, e.g. 0.5');
  return Math.round(value * 1e9);
}

/** Go durations (`30s`, `1m30s`, `500ms`, `2h`) → nanoseconds. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let rest = text.trim();
  if (rest === '0') return 0;
  if (rest === '') throw invalid('empty duration', 'write a duration like 30s or 1m30s');
  while (rest) {
    const match = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!match) throw invalid(`invalid duration: ${text}`, 'write a duration like 30s, 500ms or 1m30s');
    total += Number(match[1]) * (units[match[2]!] ?? 0);
    rest = rest.slice(match[0].length);
  }
  return Math.round(total);
}

type RestartName = NonNullable<NonNullable<ContainerCreateRequest['HostConfig']>['RestartPolicy']>['Name'];

export function parseRestart(text: string): { Name: RestartName; MaximumRetryCount?: number } {
  const [name = '', count] = text.split(':');
  if (!['no', 'always', 'on-failure', 'unless-stopped'].includes(name)) {
    throw invalid(`invalid restart policy ${text}`, 'use no, always, on-failure[:N] or unless-stopped');
  }
  if (count !== undefined) {
    if (name !== 'on-failure' || !/^\d+$/.test(count)) throw invalid(`invalid restart policy ${text}`, 'only on-failure takes a retry count: on-failure:3');
    return { Name: name, MaximumRetryCount: Number(count) };
  }
  return { Name: name as RestartName };
}

function labels(list: readonly string[] | undefined): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  return Object.fromEntries(list.map((label) => {
    const eq = label.indexOf('=');
    return eq === -1 ? [label, ''] : [label.slice(0, eq), label.slice(eq + 1)];
  }));
}

export function createBody(flags: RunFlags, env: NodeJS.ProcessEnv = process.env): ContainerCreateRequest {
  const attachStd = !flags.detach;
  const envList = [...(flags.envFromFiles ?? []), ...(flags.env ?? []).flatMap((e) => envFlag(e, env) ?? [])];
  const body: ContainerCreateRequest = {
    Image: flags.image,
    Tty: Boolean(flags.tty),
    OpenStdin: Boolean(flags.interactive),
    StdinOnce: Boolean(flags.interactive) && attachStd,
    AttachStdin: Boolean(flags.interactive) && attachStd,
    AttachStdout: attachStd,
    AttachStderr: attachStd,
  };
  if (flags.command.length) body.Cmd = flags.command;
  // docker: --entrypoint "" clears the image's entrypoint; a value is one word (no shell splitting).
  if (flags.entrypoint !== undefined) body.Entrypoint = flags.entrypoint === '' ? [''] : [flags.entrypoint];
  if (envList.length) body.Env = envList;
  if (flags.workdir) body.WorkingDir = flags.workdir;
  if (flags.user) body.User = flags.user;
  if (flags.hostname) body.Hostname = flags.hostname;
  const labelMap = labels(flags.label);
  if (labelMap) body.Labels = labelMap;
  if (flags.healthCmd !== undefined || flags.healthInterval || flags.healthTimeout || flags.healthRetries !== undefined || flags.healthStartPeriod) {
    body.Healthcheck = {
      ...(flags.healthCmd !== undefined ? { Test: ['CMD-SHELL', flags.healthCmd] } : {}),
      ...(flags.healthInterval ? { Interval: parseDuration(flags.healthInterval) } : {}),
      ...(flags.healthTimeout ? { Timeout: parseDuration(flags.healthTimeout) } : {}),
      ...(flags.healthRetries !== undefined ? { Retries: flags.healthRetries } : {}),
      ...(flags.healthStartPeriod ? { StartPeriod: parseDuration(flags.healthStartPeriod) } : {}),
    };
  }
  const host: NonNullable<ContainerCreateRequest['HostConfig']> = {};
  if (flags.volume?.length) host.Binds = flags.volume;
  if (flags.memory) host.Memory = parseMemory(flags.memory);
  if (flags.cpus) host.NanoCpus = parseCpus(flags.cpus);
  if (flags.pidsLimit !== undefined) host.PidsLimit = flags.pidsLimit;
  if (flags.readOnly) host.ReadonlyRootfs = true;
  if (flags.capAdd?.length) host.CapAdd = flags.capAdd;
  if (flags.capDrop?.length) host.CapDrop = flags.capDrop;
  if (flags.restart) host.RestartPolicy = parseRestart(flags.restart);
  if (flags.rm) {
    if (host.RestartPolicy && host.RestartPolicy.Name !== 'no') {
      throw invalid('conflicting options: --restart and --rm', 'a container removed on exit cannot be restarted: drop one');
    }
    host.AutoRemove = true;
  }
  applyNetworkFlags(body, host, flags.network);
  if (Object.keys(host).length) body.HostConfig = host;
  return body;
}
