import { chmod, chown, lstat, mkdir, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { dirname } from 'node:path';
import { CError } from '@c/errors';
import type { DaemonFacts, ImagesBackend } from './backends';
import { createApiHandler, type ApiHandler } from './http/api-handler';
import { Router } from './http/router';
import type { ContainersBackend } from './containers/backend';
import { containerRoutes } from './routes/containers';
import { diskUsageRoutes } from './routes/df';
import { eventRoutes } from './routes/events';
import { execRoutes } from './routes/exec';
import { imageRoutes } from './routes/images';
import { imageStorageRoutes } from './routes/image-storage';
import { networkRoutes, type NetworksBackend } from './routes/networks';
import { systemRoutes } from './routes/system';
import type { HostFacts } from './system/host';

export interface DaemonServices {
  images: ImagesBackend;
  /** Absent in image-only setups (unit tests of the image routes): container paths are then 404. */
  containers?: ContainersBackend;
  /** Absent without networking: network paths are then 404. */
  networks?: NetworksBackend;
  facts: DaemonFacts;
  host: HostFacts;
  log?: (line: string) => void;
}

const hijackedSockets = new WeakMap<Server, Set<Duplex>>();

/** One router for the whole API, assembled from one route list per domain. */
export function createRouter(services: DaemonServices): Router {
  const { containers } = services;
  const router = new Router()
    .add(...systemRoutes({ facts: services.facts, host: services.host, images: services.images, ...(containers ? { containers } : {}) }))
    .add(...imageRoutes(services.images))
    .add(...imageStorageRoutes(services.images));
  if (containers) {
    router
      .add(...containerRoutes(containers))
      .add(...execRoutes(containers))
      .add(...eventRoutes(containers.events))
      .add(...diskUsageRoutes(services.images, containers));
  }
  if (services.networks) router.add(...networkRoutes(services.networks));
  return router;
}

/** An http.Server serving the Docker Engine API; not listening yet. */
export function createDaemonServer(services: DaemonServices): Server {
  return createHttpServer(
    createApiHandler({
      router: createRouter(services),
      serverVersion: services.facts.version,
      ...(services.log ? { log: services.log } : {}),
    }),
  );
}

/** An http.Server for an ApiHandler: ordinary requests, plus hijacked (`Upgrade: tcp`) ones tracked for shutdown. */
export function createHttpServer(handler: ApiHandler): Server {
  const server = createServer(handler.request);
  // Hijacked connections leave the http server's bookkeeping: track them so shutdown can end them.
  const upgraded = new Set<Duplex>();
  hijackedSockets.set(server, upgraded);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    handler.upgrade(req, socket, head);
  });
  // Pulls and pushes can stream for a long time; Docker clients keep idle connections open.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 60_000;
  return server;
}

/** True when something accepts connections on the socket. */
function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Listens on a unix socket with the given mode. A stale socket left by a crashed daemon is replaced; a live one
 * (another daemon) or a non-socket file at the path is an error, never deleted.
 */
export async function listenUnix(server: Server, path: string, mode = 0o660, gid?: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const existing = await lstat(path).catch(() => undefined);
  if (existing) {
    if (!existing.isSocket()) {
      throw new CError('CONFLICT', `cannot listen on ${path}: it exists and is not a socket`, {
        hint: 'remove the file or choose another path with -H unix:///PATH',
      });
    }
    if (await socketInUse(path)) {
      throw new CError('CONFLICT', `cannot listen on ${path}: another daemon is serving it`, {
        hint: 'stop the other daemon or choose another path with -H unix:///PATH',
      });
    }
    await unlink(path);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (gid !== undefined) await chown(path, process.getuid?.() ?? 0, gid);
  await chmod(path, mode);
}

/** Stops accepting, ends idle connections, waits for the rest, removes the socket. */
export async function closeServer(server: Server, socketPath: string | undefined): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Streams in flight (a pull) are cut: the client sees the connection end, as with dockerd's shutdown.
  const force = setTimeout(() => {
    server.closeAllConnections();
    for (const socket of hijackedSockets.get(server) ?? []) socket.destroy();
  }, 2000);
  force.unref();
  await closed;
  clearTimeout(force);
  if (socketPath) await unlink(socketPath).catch(() => undefined);
}
