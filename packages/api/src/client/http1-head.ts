/**
 * The parts of HTTP/1.1 that need no socket: the request line and headers out, the status line and headers in, the
 * query string. http1.ts (node:net and streams) uses them, and so does the CLI's lean run client, which talks over a
 * bare pipe handle and must not load node:net; this file therefore imports nothing.
 */

/** Header names in lower case; a repeated header keeps every value. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** The longest status line + headers accepted before the body. */
export const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;

export class HttpProtocolError extends Error {
  override readonly name = 'HttpProtocolError';
}

/** `path?k=v&…` without the undefined values. Not URLSearchParams: its first use costs ~1 ms of a CLI start-up. */
export function buildPath(path: string, query: Record<string, string | number | boolean | undefined> | undefined): string {
  let search = '';
  for (const key in query) {
    const value = query[key];
    if (value !== undefined) search += `${search ? '&' : '?'}${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`;
  }
  return path + search;
}

/** The request line and `headers` (in their order), ending with the blank line. Refuses a header with a line break. */
export function serializeRequestHead(method: string, path: string, headers: Record<string, string>): string {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new HttpProtocolError(`header ${name} holds a line break`);
    head += `${name}: ${value}\r\n`;
  }
  return `${head}\r\n`;
}

/** The status line and headers (the head without its blank line). Throws HttpProtocolError for anything else. */
export function parseResponseHead(text: string): { statusCode: number; statusMessage: string; headers: ResponseHeaders } {
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!status) throw new HttpProtocolError(`not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const headers: ResponseHeaders = {};
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HttpProtocolError(`malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const previous = headers[name];
    headers[name] = previous === undefined ? value : ([] as string[]).concat(previous, value);
  }
  return { statusCode: Number(status[1]), statusMessage: status[2] ?? '', headers };
}

/** A header's value as one string (repeated ones joined, as HTTP allows). */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
