/**
 * `docker top CONTAINER [ps OPTIONS]`: docker runs the host's `ps` with the options and keeps the lines whose PID is
 * one of the container's processes. These are the pure parts: the options check and the parse (docker's rules: the
 * header's fields are the titles, the last title takes the rest of the line, a `-` PID line (a thread shown with
 * `m`) belongs to the process above it).
 */
import { CError } from '@c/errors';
import type { TopResult } from './introspect';

/** docker refuses a `-o KEY=PID…` rename of the PID column other than `pid=` (the parse needs the title). */
export function validatePsArgs(psArgs: string): void {
  for (const match of psArgs.matchAll(/\s+([^\s]*)=\s*(PID[^\s]*)/g)) {
    if (match[1] !== 'pid') {
      throw new CError('INVALID_ARGUMENT', `specifying "${match[1]}=${match[2]}" is not allowed`, { hint: 'keep the PID column titled PID' });
    }
  }
}

/** `ps` argv for `psArgs` as docker splits them (on single spaces), without empty words. */
export function psArgv(psArgs: string): string[] {
  return psArgs.split(' ').filter((word) => word !== '');
}

export function parsePsOutput(output: string, pids: readonly number[]): TopResult {
  const lines = output.split('\n');
  const titles = (lines[0] ?? '').trim().split(/\s+/).filter(Boolean);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) {
    throw new CError('INVALID_ARGUMENT', "Couldn't find PID field in ps output", { hint: 'include the pid column, e.g. ps_args=-o pid,comm' });
  }
  const wanted = new Set(pids);
  const processes: string[][] = [];
  const add = (fields: string[]): void => {
    processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
  };
  let previousWanted = false;
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/).filter(Boolean);
    if (fields.length === 0) continue;
    const pid = fields[pidIndex];
    if (pid === '-') {
      if (previousWanted) add(fields);
      continue;
    }
    previousWanted = pid !== undefined && wanted.has(Number(pid));
    if (previousWanted) add(fields);
  }
  return { Titles: titles, Processes: processes };
}
