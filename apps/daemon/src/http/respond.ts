import type { IncomingMessage, ServerResponse } from 'node:http';
import { CError } from '@c/errors';
import { encodeJsonLine } from '@c/api';

/** Sends a JSON body with an explicit length (Docker clients read it whole). */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
  res.end(body);
}

/** Starts a 200 NDJSON stream; the caller writes lines with `writeLine` and ends the response. */
export function startJsonStream(res: ServerResponse): (value: unknown) => void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  // Send the headers now: the docker CLI waits for them before it prints anything.
  res.flushHeaders();
  return (value) => {
    if (!res.writableEnded && !res.destroyed) res.write(encodeJsonLine(value));
  };
}

/** Largest request body read into memory (auth configs, small JSON documents). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/** Reads and parses a JSON request body, bounded. An empty body is `undefined`. */
export async function readJsonBody(req: IncomingMessage, maxBytes = MAX_JSON_BODY_BYTES): Promise<unknown> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      throw new CError('INVALID_ARGUMENT', `request body of ${req.method} ${req.url} exceeds ${maxBytes} bytes`, {
        hint: 'send a smaller JSON document',
      });
    }
    chunks.push(chunk);
  }
  if (total === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks, total).toString('utf8')) as unknown;
  } catch (error) {
    throw new CError('INVALID_ARGUMENT', `request body of ${req.method} ${req.url} is not valid JSON`, {
      cause: error,
      hint: 'send a JSON document with Content-Type: application/json',
    });
  }
}

/** A query flag the way Docker reads it: absent, empty, `0`, `no`, `false`, `none` are false; anything else true. */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  const value = (query.get(name) ?? '').trim().toLowerCase();
  return !['', '0', 'no', 'false', 'none'].includes(value);
}
