/**
 * `docker ps --filter` semantics: values of one key are OR-ed, different keys are AND-ed.
 * Keys: id (prefix), name (regular expression on the name without its slash, like docker), status, label
 * (`key` or `key=value`), ancestor (image name as given at create, or image id prefix), exited (exit code).
 */
import { CError } from '@c/errors';
import type { ContainerRecord } from './types';

export type ContainerFilters = Record<string, readonly string[]>;

const KNOWN = new Set(['id', 'name', 'status', 'label', 'ancestor', 'exited']);
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

export function validateFilters(filters: ContainerFilters): void {
  for (const [key, values] of Object.entries(filters)) {
    if (!KNOWN.has(key)) throw new CError('INVALID_ARGUMENT', `invalid filter '${key}'`, { hint: `use one of ${[...KNOWN].join(', ')}` });
    if (key === 'status') {
      for (const v of values) {
        if (!STATUSES.has(v)) throw new CError('INVALID_ARGUMENT', `invalid filter 'status=${v}'`, { hint: `use one of ${[...STATUSES].join(', ')}` });
      }
    }
    if (key === 'exited') {
      for (const v of values) {
        if (!/^-?\d+$/.test(v)) throw new CError('INVALID_ARGUMENT', `invalid filter 'exited=${v}'`, { hint: 'give an exit code' });
      }
    }
  }
}

/** Short image names as docker prints them: `busybox` ≡ `busybox:latest` ≡ `docker.io/library/busybox:latest`. */
function imageNameForms(name: string): Set<string> {
  const forms = new Set([name]);
  let n = name.replace(/^docker\.io\//, '').replace(/^library\//, '');
  forms.add(n);
  if (!/[:@][^/]*$/.test(n)) forms.add(`${n}:latest`);
  else if (n.endsWith(':latest')) {
    n = n.slice(0, -':latest'.length);
    forms.add(n);
  }
  return forms;
}

function ancestorMatches(record: ContainerRecord, value: string): boolean {
  const hex = value.replace(/^sha256:/, '');
  if (/^[0-9a-f]{4,64}$/.test(hex) && record.Image.replace(/^sha256:/, '').startsWith(hex)) return true;
  const mine = imageNameForms(record.Config.Image);
  for (const form of imageNameForms(value)) if (mine.has(form)) return true;
  return false;
}

function labelMatches(labels: Record<string, string>, value: string): boolean {
  const eq = value.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, value);
  return labels[value.slice(0, eq)] === value.slice(eq + 1);
}

export function matchesFilters(record: ContainerRecord, filters: ContainerFilters): boolean {
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    const any = (test: (v: string) => boolean) => values.some(test);
    switch (key) {
      case 'id':
        if (!any((v) => record.Id.startsWith(v))) return false;
        break;
      case 'name':
        if (!any((v) => new RegExp(v).test(record.Name.slice(1)) || new RegExp(v).test(record.Name))) return false;
        break;
      case 'status':
        if (!any((v) => record.State.Status === v)) return false;
        break;
      case 'label':
        // docker AND-s label filters: every label condition must hold.
        if (!values.every((v) => labelMatches(record.Config.Labels, v))) return false;
        break;
      case 'ancestor':
        if (!any((v) => ancestorMatches(record, v))) return false;
        break;
      case 'exited':
        if (record.State.Status !== 'exited' || !any((v) => Number(v) === record.State.ExitCode)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
