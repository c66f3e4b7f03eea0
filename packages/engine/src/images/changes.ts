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
      case 'ENV': {
        const env = [...(result.Env ?? [])];
        for (const [key, value] of keyValues(change, args)) {
          const index = env.findIndex((entry) => entry.startsWith(`${key}=`));
          if (index >= 0) env[index] = `${key}=${value}`;
          else env.push(`${key}=${value}`);
        }
        result.Env = env;
        break;
      }
      case 'LABEL':
        result.Labels = { ...(result.Labels ?? {}), ...Object.fromEntries(keyValues(change, args)) };
        break;
      case 'EXPOSE': {
        const ports = { ...(result.ExposedPorts ?? {}) };
        for (const port of args.split(/\s+/)) {
          if (!/^\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/.test(port)) throw invalid(change, `"${port}" is not a port`);
          ports[port.includes('/') ? port : `${port}/tcp`] = {};
        }
        result.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        const paths = args.startsWith('[') ? commandForm(change, args) : args.split(/\s+/);
        result.Volumes = { ...(result.Volumes ?? {}), ...Object.fromEntries(paths.map((path) => [path, {}])) };
        break;
      }
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
  return result;
}
