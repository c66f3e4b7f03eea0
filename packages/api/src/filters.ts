import { CError } from '@c/errors';

/**
 * Docker's `filters` query parameter: JSON of `{ "key": { "value": true } }` (current clients) or
 * `{ "key": ["value"] }` (API < 1.22 clients, still accepted by dockerd). Parsed into key → values.
 */
export type Filters = ReadonlyMap<string, readonly string[]>;

export const MAX_FILTERS_LENGTH = 64 * 1024;

export function parseFilters(text: string | null | undefined): Filters {
  const filters = new Map<string, string[]>();
  if (text === null || text === undefined || text.trim() === '') return filters;
  if (text.length > MAX_FILTERS_LENGTH) {
    throw new CError('INVALID_ARGUMENT', `filters parameter is ${text.length} characters long`, {
      hint: `send at most ${MAX_FILTERS_LENGTH} characters of filters`,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CError('INVALID_ARGUMENT', `invalid filters: not JSON: ${text.slice(0, 100)}`, {
      cause: error,
      hint: 'send filters as JSON, e.g. {"reference":{"busybox":true}}',
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CError('INVALID_ARGUMENT', 'invalid filters: expected a JSON object', {
      hint: 'send filters as JSON, e.g. {"reference":{"busybox":true}}',
    });
  }
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    let values: unknown[];
    if (Array.isArray(value)) values = value;
    else if (typeof value === 'object' && value !== null) {
      values = Object.entries(value as Record<string, unknown>)
        .filter(([, enabled]) => enabled === true)
        .map(([name]) => name);
    } else values = [value];
    if (!values.every((item): item is string => typeof item === 'string')) {
      throw new CError('INVALID_ARGUMENT', `invalid filters: the values of "${key}" must be strings`, {
        hint: 'send filters as JSON, e.g. {"reference":{"busybox":true}}',
      });
    }
    filters.set(key, values);
  }
  return filters;
}

/** The map form current Docker clients send. */
export function encodeFilters(filters: Readonly<Record<string, readonly string[]>>): string {
  const encoded: Record<string, Record<string, true>> = {};
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    encoded[key] = Object.fromEntries(values.map((value) => [value, true]));
  }
  return JSON.stringify(encoded);
}

/** Throws Docker's `invalid filter 'x'` for a key the endpoint does not know. */
export function checkFilterKeys(filters: Filters, allowed: readonly string[]): void {
  for (const key of filters.keys()) {
    if (!allowed.includes(key)) {
      throw new CError('INVALID_ARGUMENT', `invalid filter '${key}'`, { hint: `use one of: ${allowed.join(', ')}` });
    }
  }
}

/**
 * Go's `path.Match`, which Docker's reference filter uses: `*` and `?` never match `/`, `[...]` classes with
 * ranges and `^`/`!` negation, `\` escapes. Throws INVALID_ARGUMENT for a malformed pattern.
 */
export function globMatch(pattern: string, name: string): boolean {
  return globToRegExp(pattern).test(name);
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? '';
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '\\') {
      i += 1;
      if (i >= pattern.length) throw badPattern(pattern);
      source += escapeChar(pattern[i] ?? '');
    } else if (char === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) throw badPattern(pattern);
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith('^') || body.startsWith('!');
      if (negated) body = body.slice(1);
      if (body === '') throw badPattern(pattern);
      source += `[${negated ? '^/' : ''}${body.replace(/[\]\\^]/g, '\\$&')}]`;
      i = end;
    } else source += escapeChar(char);
  }
  return new RegExp(`^${source}$`);
}

function escapeChar(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function badPattern(pattern: string): CError {
  return new CError('INVALID_ARGUMENT', `invalid reference filter pattern "${pattern}"`, {
    hint: 'use a glob such as busybox, busybox:*, 127.0.0.1:5000/*',
  });
}
