/**
 * `POST /containers/create` body (docker's ContainerConfig + HostConfig) → the engine's create options. Fields the
 * engine cannot honour yet are refused when they would change behaviour silently (privileged), or turned into a
 * warning (docker prints `Warnings` to stderr) when ignoring them is harmless for a local run.
 */
import { CError } from '@c/errors';
import type { CreateContainerOptions } from '@c/engine';
import type { HealthConfig } from '@c/image';

export interface CreateRequest {
  options: CreateContainerOptions;
  warnings: string[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(field: string, expected: string): CError {
  return new CError('INVALID_ARGUMENT', `invalid container config: ${field} must be ${expected}`, {
    hint: 'send a body shaped like docker’s ContainerCreateRequest',
  });
}

function stringList(body: Json, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  // Docker accepts a plain string for Cmd/Entrypoint and treats it as one argument.
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalid(field, 'a list of strings');
  return value as string[];
}

function text(body: Json, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(field, 'a string');
  return value;
}

function num(body: Json, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, 'a number');
  return value;
}

function flag(body: Json, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(field, 'a boolean');
  return value;
}

function stringMap(body: Json, field: string): Record<string, string> | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string')) throw invalid(field, 'an object of strings');
  return value as Record<string, string>;
}

function restartPolicy(host: Json): string | undefined {
  const policy = host.RestartPolicy;
  if (policy === undefined || policy === null) return undefined;
  if (!isObject(policy)) throw invalid('HostConfig.RestartPolicy', 'an object');
  const name = text(policy, 'Name');
  if (name === undefined) return undefined;
  const retries = num(policy, 'MaximumRetryCount') ?? 0;
  if (name === 'on-failure' && retries > 0) return `on-failure:${retries}`;
  if (name !== 'on-failure' && retries > 0) {
    throw new CError('INVALID_ARGUMENT', `invalid restart policy: maximum retry count can only be used with 'on-failure'`, {
      hint: 'drop MaximumRetryCount or use on-failure',
    });
  }
  return name;
}

function healthcheck(body: Json): HealthConfig | undefined {
  const value = body.Healthcheck;
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalid('Healthcheck', 'an object');
  return value as HealthConfig;
}

/** CPUs from NanoCpus, or from CpuQuota/CpuPeriod (`--cpu-quota`); both at once is docker's conflict. */
function cpus(host: Json): number | undefined {
  const nano = num(host, 'NanoCpus') ?? 0;
  const quota = num(host, 'CpuQuota') ?? 0;
  const period = num(host, 'CpuPeriod') || 100_000;
  if (nano > 0 && quota > 0) {
    throw new CError('CONFLICT', 'Conflicting options: Nano CPUs and CPU Period cannot both be set', { hint: 'use either --cpus or --cpu-quota' });
  }
  if (nano > 0) return nano / 1e9;
  if (quota > 0) return quota / period;
  return undefined;
}

function logConfig(host: Json, options: CreateContainerOptions): void {
  const config = host.LogConfig;
  if (!isObject(config)) return;
  const type = text(config, 'Type');
  if (type !== undefined && type !== 'json-file') {
    throw new CError('UNSUPPORTED', `logging driver ${type} is not supported`, { hint: 'use the json-file driver (the default)' });
  }
  const settings = isObject(config.Config) ? config.Config : {};
  const maxSize = text(settings, 'max-size');
  const maxFile = text(settings, 'max-file');
  if (maxSize !== undefined) options.logMaxSize = maxSize;
  if (maxFile !== undefined) options.logMaxFile = maxFile;
}

function hasEntries(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return isObject(value) && Object.keys(value).length > 0;
}

/** NetworkMode, PortBindings, PublishAllPorts, ExposedPorts, Dns*, ExtraHosts, NetworkingConfig.EndpointsConfig. */
function networking(body: Json, host: Json, options: CreateContainerOptions): void {
  const mode = text(host, 'NetworkMode');
  if (mode !== undefined) options.networkMode = mode;
  if (isObject(host.PortBindings) && hasEntries(host.PortBindings)) {
    const bindings: NonNullable<CreateContainerOptions['portBindings']> = {};
    for (const [key, list] of Object.entries(host.PortBindings)) {
      if (list !== null && !Array.isArray(list)) throw invalid(`PortBindings[${key}]`, 'a list of bindings');
      bindings[key] = (list ?? []).filter(isObject).map((b) => ({ HostIp: text(b, 'HostIp') ?? '', HostPort: text(b, 'HostPort') ?? '' }));
    }
    options.portBindings = bindings;
  }
  if (flag(host, 'PublishAllPorts')) options.publishAllPorts = true;
  if (isObject(body.ExposedPorts) && hasEntries(body.ExposedPorts)) options.exposedPorts = Object.keys(body.ExposedPorts);
  for (const [field, key] of [['Dns', 'dns'], ['DnsSearch', 'dnsSearch'], ['DnsOptions', 'dnsOptions'], ['ExtraHosts', 'extraHosts']] as const) {
    const list = stringList(host, field);
    if (list !== undefined && list.length > 0) options[key] = list;
  }
  const networkingConfig = isObject(body.NetworkingConfig) ? body.NetworkingConfig : {};
  const endpoints = isObject(networkingConfig.EndpointsConfig) ? networkingConfig.EndpointsConfig : {};
  const requests: NonNullable<CreateContainerOptions['endpoints']> = {};
  for (const [network, config] of Object.entries(endpoints)) {
    if (!isObject(config)) continue;
    const aliases = stringList(config, 'Aliases');
    const ipam = isObject(config.IPAMConfig) ? config.IPAMConfig : {};
    const ipv4Address = text(ipam, 'IPv4Address');
    requests[network] = { ...(aliases && aliases.length > 0 ? { aliases } : {}), ...(ipv4Address ? { ipv4Address } : {}) };
  }
  if (Object.keys(requests).length > 0) options.endpoints = requests;
}

/** Parses the body; `name` is the `?name=` query (may be empty). */
export function parseCreateRequest(raw: unknown, name: string | null): CreateRequest {
  if (!isObject(raw)) throw new CError('INVALID_ARGUMENT', 'container create needs a JSON body', { hint: 'send the container config as JSON' });
  const body = raw;
  const image = text(body, 'Image');
  if (image === undefined) throw new CError('INVALID_ARGUMENT', 'No image was specified for the container', { hint: 'set Image' });
  const host = isObject(body.HostConfig) ? body.HostConfig : {};
  const warnings: string[] = [];
  const options: CreateContainerOptions = { image };
  const set = <K extends keyof CreateContainerOptions>(key: K, value: CreateContainerOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value;
  };
  if (name) set('name', name);
  set('cmd', stringList(body, 'Cmd'));
  set('entrypoint', stringList(body, 'Entrypoint'));
  set('env', stringList(body, 'Env'));
  set('workingDir', text(body, 'WorkingDir'));
  set('user', text(body, 'User'));
  set('hostname', text(body, 'Hostname'));
  set('domainname', text(body, 'Domainname'));
  set('tty', flag(body, 'Tty'));
  set('openStdin', flag(body, 'OpenStdin'));
  set('stdinOnce', flag(body, 'StdinOnce'));
  set('labels', stringMap(body, 'Labels'));
  set('stopSignal', text(body, 'StopSignal'));
  set('stopTimeout', num(body, 'StopTimeout'));
  set('healthcheck', healthcheck(body));

  set('binds', stringList(host, 'Binds'));
  const memory = num(host, 'Memory');
  if (memory !== undefined && memory > 0) options.memory = memory;
  set('cpus', cpus(host));
  const pids = num(host, 'PidsLimit');
  if (pids !== undefined && pids > 0) options.pidsLimit = pids;
  set('readOnly', flag(host, 'ReadonlyRootfs'));
  set('capAdd', stringList(host, 'CapAdd'));
  set('capDrop', stringList(host, 'CapDrop'));
  set('restartPolicy', restartPolicy(host));
  set('autoRemove', flag(host, 'AutoRemove'));
  logConfig(host, options);
  if (options.autoRemove && options.restartPolicy !== undefined && options.restartPolicy !== 'no') {
    throw new CError('INVALID_ARGUMENT', `can't create 'AutoRemove' container with restart policy`, { hint: 'drop --rm or --restart' });
  }

  if (flag(host, 'Privileged')) {
    throw new CError('UNSUPPORTED', 'privileged containers are not supported by c', { hint: 'add the capabilities you need with --cap-add' });
  }
  networking(body, host, options);
  if ((num(host, 'CpuShares') ?? 0) > 0) warnings.push('CPU shares are not applied by c yet; use --cpus for a limit.');
  if (flag(host, 'Init')) warnings.push('--init is not supported yet: the command runs as PID 1 of the container.');
  return { options, warnings };
}
