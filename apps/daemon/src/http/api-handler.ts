import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { API_VERSION, MIN_API_VERSION, checkApiVersion, splitVersionedPath } from '@c/api';
import { errorResponse } from '../http-status';
import { sendJson } from './respond';
import type { Router } from './router';

export interface ApiHandlerOptions {
  router: Router;
  /** c's own version, for the `Server` header. */
  serverVersion: string;
  apiVersion?: string;
  minApiVersion?: string;
  /** One line per request and per failure; the daemon writes them to stderr. */
  log?: (line: string) => void;
}

/**
 * The request pipeline every endpoint shares: Docker's headers on every response, the `/vX.Y` prefix (checked
 * against the served range), routing, and one error path that turns anything thrown into `{"message": …}`.
 */
export function createApiHandler(options: ApiHandlerOptions): RequestListener {
  const apiVersion = options.apiVersion ?? API_VERSION;
  const minApiVersion = options.minApiVersion ?? MIN_API_VERSION;
  const serverHeader = `c/${options.serverVersion} (linux)`;
  const log = options.log ?? (() => undefined);

  return (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    res.setHeader('Api-Version', apiVersion);
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', serverHeader);
    res.setHeader('Docker-Experimental', 'false');
    res.on('finish', () => {
      log(`${req.method} ${req.url} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`);
    });

    const url = req.url ?? '/';
    const queryStart = url.indexOf('?');
    const rawPath = queryStart === -1 ? url : url.slice(0, queryStart);
    const query = new URLSearchParams(queryStart === -1 ? '' : url.slice(queryStart + 1));

    const run = async (): Promise<void> => {
      const { version, path } = splitVersionedPath(rawPath);
      if (version !== undefined) checkApiVersion(version, { min: minApiVersion, max: apiVersion });
      const match = options.router.match(req.method ?? 'GET', path);
      if (!match) {
        sendJson(res, 404, { message: 'page not found' });
        return;
      }
      await match.handler({ req, res, params: match.params, query, apiVersion: version ?? apiVersion });
    };

    run().catch((error: unknown) => {
      const { status, body } = errorResponse(error);
      if (status >= 500) log(`${req.method} ${url} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!res.headersSent) {
        sendJson(res, status, body);
      } else if (!res.writableEnded) {
        // A stream already started: the status is gone, so cut the connection rather than end it as a success.
        res.destroy(error instanceof Error ? error : undefined);
      }
    });
  };
}
