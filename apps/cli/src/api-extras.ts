/**
 * Calls the typed client does not have yet: `docker import` (POST /images/create?fromSrc=-, the tarball as the
 * request body). Sent over the same socket with the same version prefix as the client's own calls.
 */
import { request } from 'node:http';
import type { EngineClient, ProgressMessage } from '@c/api';
import { parseNdjson } from '@c/api';
import { CError } from '@c/errors';

export interface ImportOptions {
  repo: string;
  tag?: string;
  message?: string;
  changes?: string[];
  platform?: string;
}

/** Streams `source` to the daemon; resolves with the new image id (docker's one `{"status": id}` line). */
export function importImage(client: EngineClient, source: NodeJS.ReadableStream, options: ImportOptions): Promise<string> {
  const params = new URLSearchParams({ fromSrc: '-', repo: options.repo });
  if (options.tag) params.set('tag', options.tag);
  if (options.message) params.set('message', options.message);
  if (options.platform) params.set('platform', options.platform);
  for (const change of options.changes ?? []) params.append('changes', change);
  const path = `/v${client.apiVersion}/images/create?${params.toString()}`;
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: client.socketPath, method: 'POST', path, headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      void (async () => {
        let id = '';
        let failure: string | undefined;
        let body = '';
        if ((res.statusCode ?? 500) >= 300) {
          for await (const chunk of res) body += String(chunk);
          let message = body;
          try {
            message = (JSON.parse(body) as { message?: string }).message ?? body;
          } catch {
            // not JSON: keep the text
          }
          const code = res.statusCode === 404 ? 'NOT_FOUND' : res.statusCode === 400 ? 'INVALID_ARGUMENT' : 'INTERNAL';
          throw new CError(code, message.trim() || `import: HTTP ${res.statusCode}`, { hint: 'check the tarball and the reference' });
        }
        for await (const value of parseNdjson(res)) {
          const message = value as ProgressMessage;
          if (message.error) failure = message.error;
          else if (message.status) id = message.status;
        }
        if (failure !== undefined) throw new CError('INVALID_ARGUMENT', failure, { hint: 'give a tar or tar.gz of a root filesystem' });
        return id;
      })().then(resolve, reject);
    });
    req.on('error', (error) => reject(new CError('UNAVAILABLE', `import: ${error.message}`, { cause: error })));
    source.on('error', (error: Error) => req.destroy(error));
    source.pipe(req);
  });
}

/**
 * A versioned request the typed client has no method for yet (image prune, save, load): resolves with the
 * response once headers arrive; a non-2xx status becomes a CError with the daemon's message.
 */
export function rawCall(
  client: EngineClient,
  spec: { method: 'GET' | 'POST'; path: string; query?: Record<string, string>; body?: NodeJS.ReadableStream; contentType?: string },
): Promise<import('node:http').IncomingMessage> {
  const search = new URLSearchParams(spec.query ?? {}).toString();
  const path = `/v${client.apiVersion}${spec.path}${search ? `?${search}` : ''}`;
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: client.socketPath, method: spec.method, path, headers: spec.contentType ? { 'Content-Type': spec.contentType } : {} },
      (res) => {
        if ((res.statusCode ?? 500) < 300) return resolve(res);
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        res.on('end', () => {
          let message = body.trim();
          try {
            message = (JSON.parse(body) as { message?: string }).message ?? message;
          } catch {
            // not JSON: keep the text
          }
          const status = res.statusCode ?? 500;
          const code = status === 404 ? 'NOT_FOUND' : status === 400 ? 'INVALID_ARGUMENT' : status === 409 ? 'CONFLICT' : status === 501 ? 'UNSUPPORTED' : 'INTERNAL';
          reject(new CError(code, `${spec.method} ${spec.path}: ${message || `HTTP ${status}`}`, { hint: 'check the daemon log; this daemon may not offer the endpoint yet' }));
        });
      },
    );
    req.on('error', (error) => reject(new CError('UNAVAILABLE', `${spec.method} ${spec.path}: ${error.message}`, { cause: error })));
    if (spec.body) {
      spec.body.on('error', (error: Error) => req.destroy(error));
      spec.body.pipe(req);
    } else req.end();
  });
}

export async function readJson<T>(res: AsyncIterable<Buffer | string>): Promise<T> {
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return JSON.parse(text) as T;
}
