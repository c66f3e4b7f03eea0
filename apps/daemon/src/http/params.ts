/** Query and path parameter helpers shared by the container, exec and events routes. */
import { CError } from '@c/errors';

export function pathParam(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw new CError('INVALID_ARGUMENT', `missing path parameter ${name}`, { hint: 'check the request path' });
  return value;
}

/** An integer query parameter; undefined when absent or empty. */
export function queryInt(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new CError('INVALID_ARGUMENT', `invalid value for ${name}: ${raw}`, { hint: `${name} must be an integer` });
  return value;
}

/** A required string query parameter. */
export function requiredQuery(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (value === null || value === '') throw new CError('INVALID_ARGUMENT', `missing query parameter ${name}`, { hint: `add ?${name}=…` });
  return value;
}

/** Docker time parameters: unix seconds (possibly fractional) or RFC 3339 → unix seconds. */
export function queryTime(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw);
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw new CError('INVALID_ARGUMENT', `invalid time for ${name}: ${raw}`, { hint: 'give unix seconds or an RFC 3339 time' });
  return ms / 1000;
}
