/**
 * The subset of Go templates `--format` takes in docker: literal text, `{{.Field}}`, `{{.A.B}}`, `{{json .}}`,
 * `{{json .Field}}`, and a leading `table` that prints a header row and aligns columns on `\t`.
 */
import { CError } from '@c/errors';
import { formatTable } from './format';

type Part = { text: string } | { path: string[]; json: boolean };

export interface Template {
  table: boolean;
  parts: Part[];
}

export function parseTemplate(source: string): Template {
  let text = source.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const table = /^table(\s|$)/.test(text);
  if (table) text = text.replace(/^table\s*/, '');
  const parts: Part[] = [];
  const action = /\{\{\s*(json\s+)?\.([A-Za-z0-9_.]*)\s*\}\}/g;
  let at = 0;
  for (const match of text.matchAll(action)) {
    if (match.index > at) parts.push({ text: text.slice(at, match.index) });
    parts.push({ path: match[2] ? match[2].split('.') : [], json: Boolean(match[1]) });
    at = match.index + match[0].length;
  }
  if (at < text.length) parts.push({ text: text.slice(at) });
  for (const part of parts) {
    if ('text' in part && part.text.includes('{{')) {
      throw new CError('INVALID_ARGUMENT', `template: unsupported action in ${JSON.stringify(source)}`, {
        hint: 'c supports {{.Field}}, {{.A.B}}, {{json .}}, {{json .Field}} and a leading "table"',
      });
    }
  }
  return { table, parts };
}

function lookup(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function show(value: unknown): string {
  if (value === undefined || value === null) return '<no value>';
  if (Array.isArray(value)) return `[${value.map(show).join(' ')}]`;
  if (typeof value === 'object') return `map[${Object.entries(value).map(([k, v]) => `${k}:${show(v)}`).join(' ')}]`;
  return String(value);
}

export function renderOne(template: Template, value: unknown): string {
  return template.parts
    .map((part) => {
      if ('text' in part) return part.text;
      const found = lookup(value, part.path);
      return part.json ? JSON.stringify(found ?? null) : show(found);
    })
    .join('');
}

/** Docker's column titles for the fields of its tables; others are upper-cased with words split. */
const HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Status: 'STATUS',
  State: 'STATE',
  Ports: 'PORTS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
};

export function headerFor(path: readonly string[]): string {
  const last = path[path.length - 1] ?? '';
  return HEADERS[last] ?? last.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

/** Renders every item, one per line; with `table`, a header first and columns aligned like docker's tabwriter. */
export function renderTemplate(source: string, items: readonly unknown[]): string {
  const template = parseTemplate(source);
  if (!template.table) return items.map((item) => `${renderOne(template, item)}\n`).join('');
  const header = template.parts.map((part) => ('text' in part ? part.text : headerFor(part.path))).join('').split('\t');
  const rows = items.map((item) => renderOne(template, item).split('\t'));
  return formatTable(header, rows);
}
