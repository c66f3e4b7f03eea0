/**
 * Small, explicit checks over untrusted JSON that report where a document is wrong as a JSON path
 * (`layers[2].digest`). Every document parser in this package is built from these.
 */
import { CError } from '@c/errors';
import { digestProblem, describeDigestProblem } from './digest';

export type JsonObject = { [key: string]: unknown };

/** Names the document being checked (`manifest`, `image config`) for error messages. */
export interface CheckContext {
  document: string;
}

export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  // Keys that are not identifiers (`os.version`, label names) are quoted so the path stays unambiguous.
  const plain = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key);
  if (parent === '') return plain ? key : `[${JSON.stringify(key)}]`;
  return plain ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/** An `INVALID_ARGUMENT` error for the value at `path` of the document. */
export function invalidAt(ctx: CheckContext, path: string, problem: string, hint?: string): CError {
  return new CError('INVALID_ARGUMENT', `invalid ${ctx.document}: ${path === '' ? '' : `${path}: `}${problem}`, {
    hint: hint ?? `the ${ctx.document} is malformed; rebuild or re-push the image with a current client`,
    details: { document: ctx.document, path },
  });
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value.length > 80 ? `${value.slice(0, 80)}…` : value}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function expectObject(ctx: CheckContext, value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw invalidAt(ctx, path, `expected an object, found ${describeValue(value)}`);
  return value;
}

export function expectString(ctx: CheckContext, value: unknown, path: string): string {
  if (typeof value !== 'string') throw invalidAt(ctx, path, `expected a string, found ${describeValue(value)}`);
  return value;
}

export function expectNonEmptyString(ctx: CheckContext, value: unknown, path: string): string {
  const text = expectString(ctx, value, path);
  if (text === '') throw invalidAt(ctx, path, 'must not be empty');
  return text;
}

export function optionalString(ctx: CheckContext, obj: JsonObject, key: string, path: string): void {
  if (obj[key] !== undefined) expectString(ctx, obj[key], joinPath(path, key));
}

export function expectArray(ctx: CheckContext, value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw invalidAt(ctx, path, `expected an array, found ${describeValue(value)}`);
  return value;
}

export function expectStringArray(ctx: CheckContext, value: unknown, path: string): string[] {
  const items = expectArray(ctx, value, path);
  items.forEach((item, i) => expectString(ctx, item, joinPath(path, i)));
  return items as string[];
}

/**
 * The most entries an untrusted map (labels, annotations, ports, volumes) may have. Real images carry tens; the
 * bound keeps any one map well below what a hash-flooding set of keys needs to slow down a reader whose string
 * hash seed is known (c's CLI runs with V8's snapshot seed: decision 0017).
 */
export const MAX_MAP_ENTRIES = 10_000;

function expectBoundedObject(ctx: CheckContext, value: unknown, path: string): JsonObject {
  const obj = expectObject(ctx, value, path);
  const entries = Object.keys(obj).length;
  if (entries > MAX_MAP_ENTRIES) {
    throw new CError('LIMIT_EXCEEDED', `invalid ${ctx.document}: ${path}: ${entries} entries, more than the ${MAX_MAP_ENTRIES} accepted`, {
      hint: `the ${ctx.document} is refused; rebuild the image with fewer entries there`,
      details: { document: ctx.document, path, entries, limit: MAX_MAP_ENTRIES },
    });
  }
  return obj;
}

export function expectStringMap(ctx: CheckContext, value: unknown, path: string): Record<string, string> {
  const obj = expectBoundedObject(ctx, value, path);
  for (const [key, item] of Object.entries(obj)) expectString(ctx, item, joinPath(path, key));
  return obj as Record<string, string>;
}

/** A map whose values must be objects (`ExposedPorts`, `Volumes`: `{"80/tcp": {}}`). */
export function expectObjectMap(ctx: CheckContext, value: unknown, path: string): JsonObject {
  const obj = expectBoundedObject(ctx, value, path);
  for (const [key, item] of Object.entries(obj)) expectObject(ctx, item, joinPath(path, key));
  return obj;
}

export function expectNonNegativeInteger(ctx: CheckContext, value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidAt(ctx, path, `expected a non-negative integer, found ${describeValue(value)}`);
  }
  return value;
}

export function expectInteger(ctx: CheckContext, value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw invalidAt(ctx, path, `expected an integer, found ${describeValue(value)}`);
  }
  return value;
}

export function expectBoolean(ctx: CheckContext, value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw invalidAt(ctx, path, `expected true or false, found ${describeValue(value)}`);
  return value;
}

/** A sha256/sha512 digest; a well-formed digest of another algorithm is `UNSUPPORTED`. */
export function expectDigest(ctx: CheckContext, value: unknown, path: string): string {
  const text = expectString(ctx, value, path);
  const problem = digestProblem(text);
  if (problem === 'unsupported-algorithm') {
    throw new CError('UNSUPPORTED', `${ctx.document} ${path}: digest "${text}" ${describeDigestProblem(problem)}`, {
      hint: 're-push the image with sha256 digests',
      details: { document: ctx.document, path, digest: text },
    });
  }
  if (problem !== undefined) {
    throw invalidAt(ctx, path, `${describeValue(text)} is not a valid digest: it ${describeDigestProblem(problem)}`);
  }
  return text;
}

// RFC 6838 type/subtype names (with +suffix and .tree), optionally followed by parameters.
const MEDIA_TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(?:\s*;.*)?$/;

export function expectMediaType(ctx: CheckContext, value: unknown, path: string): string {
  const text = expectString(ctx, value, path);
  if (!MEDIA_TYPE_RE.test(text)) throw invalidAt(ctx, path, `${describeValue(text)} is not a media type (type/subtype)`);
  return text;
}
