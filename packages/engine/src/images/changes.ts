/**
 * `--change` instructions of `docker import` (a Dockerfile subset that only edits the config):
 * CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL.
 */
import { CError } from '@c/errors';

export interface ConfigEdits {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Cmd?: string[];
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Entrypoint?: string[];
  Labels?: Record<string, string>;
  StopSignal?: string;
}

function invalid(change: string, problem: string): CError {
  return new CError('INVALID_ARGUMENT', `invalid --change "${change}": ${problem}`, {
    hint: 'use one of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL with Dockerfile syntax',
  });
}

/** JSON form `["a","b"]` as is; shell form wrapped in `/bin/sh -c` like a Dockerfile. */
function commandForm(change: string, args: string): string[] {
  if (args.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(args);
    } catch {
      throw invalid(change, 'the JSON array does not parse');
    }
    if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
      throw invalid(change, 'the JSON form must be an array of strings');
    }
    return parsed as string[];
  }
  return ['/bin/sh', '-c', args];
}

/** Splits `a=1 "b=two words"` into pairs; the legacy `KEY value with spaces` form is accepted for one key. */
function keyValues(change: string, args: string): [string, string][] {
  if (!args.includes('=')) {
    const space = args.search(/\s/);
    if (space < 0) throw invalid(change, 'expected KEY=VALUE');
    return [[args.slice(0, space), args.slice(space).trim()]];
  }
  const pairs: [string, string][] = [];
  const pattern = /([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (const match of args.matchAll(pattern)) {
    const raw = match[2] ?? '';
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    pairs.push([match[1] ?? '', value]);
  }
  if (pairs.length === 0) throw invalid(change, 'expected KEY=VALUE');
  return pairs;
}

export function applyChanges(config: ConfigEdits, changes: readonly string[]): ConfigEdits {
  const result: ConfigEdits = { ...config };
  // Each map and the env are copied once and edited in place: a copy per instruction made 10,000 LABELs take minutes.
  const labels = new Map(Object.entries(config.Labels ?? {}));
  const ports = new Map(Object.entries(config.ExposedPorts ?? {}));
  const volumes = new Map(Object.entries(config.Volumes ?? {}));
  const env = [...(config.Env ?? [])];
  const envIndex = new Map<string, number>();
  env.forEach((entry, i) => {
    const key = entry.includes('=') ? entry.slice(0, entry.indexOf('=')) : undefined;
    if (key !== undefined && !envIndex.has(key)) envIndex.set(key, i);
  });
  const edited = new Set<'Labels' | 'ExposedPorts' | 'Volumes' | 'Env'>();
  for (const change of changes) {
    const trimmed = change.trim();
    const space = trimmed.search(/\s/);
    const instruction = (space < 0 ? trimmed : trimmed.slice(0, space)).toUpperCase();
    const args = space < 0 ? '' : trimmed.slice(space).trim();
    if (!args) throw invalid(change, `${instruction || 'the instruction'} needs an argument`);
    switch (instruction) {
      case 'CMD':
        result.Cmd = commandForm(change, args);
        break;
      case 'ENTRYPOINT':
        result.Entrypoint = commandForm(change, args);
        break;
      case 'ENV':
        for (const [key, value] of keyValues(change, args)) {
          const index = envIndex.get(key);
          if (index !== undefined) env[index] = `${key}=${value}`;
          else envIndex.set(key, env.push(`${key}=${value}`) - 1);
        }
        edited.add('Env');
        break;
      case 'LABEL':
        for (const [key, value] of keyValues(change, args)) labels.set(key, value);
        edited.add('Labels');
        break;
      case 'EXPOSE':
        for (const port of args.split(/\s+/)) {
          if (!/^\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/.test(port)) throw invalid(change, `"${port}" is not a port`);
          ports.set(port.includes('/') ? port : `${port}/tcp`, {});
        }
        edited.add('ExposedPorts');
        break;
      case 'VOLUME':
        for (const path of args.startsWith('[') ? commandForm(change, args) : args.split(/\s+/)) volumes.set(path, {});
        edited.add('Volumes');
        break;
      case 'USER':
        result.User = args;
        break;
      case 'WORKDIR':
        result.WorkingDir = args;
        break;
      case 'STOPSIGNAL':
        result.StopSignal = args;
        break;
      default:
        throw invalid(change, `${instruction} is not supported by import`);
    }
  }
  // Object.fromEntries defines own properties: a key such as "__proto__" stays a key.
  if (edited.has('Labels')) result.Labels = Object.fromEntries(labels);
  if (edited.has('ExposedPorts')) result.ExposedPorts = Object.fromEntries(ports);
  if (edited.has('Volumes')) result.Volumes = Object.fromEntries(volumes);
  if (edited.has('Env')) result.Env = env;
  return result;
}
