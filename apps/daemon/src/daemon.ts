import type { Server } from 'node:http';
import type { ImagesBackend } from './backends';
import type { ContainersBackend } from './containers/backend';
import type { NetworksBackend } from './routes/networks';
import type { DaemonConfig } from './args';
import { loadDaemonId } from './system/daemon-id';
import { readHostFacts } from './system/host';
import { closeServer, createDaemonServer, listenUnix } from './server';
import { buildInfo, readOwnVersion } from './version';

export interface RunningDaemon {
  sockets: string[];
  /** Stops listening, ends connections and removes the sockets. */
  close(): Promise<void>;
}

export interface StartDaemonOptions {
  config: Pick<DaemonConfig, 'sockets' | 'root'>;
  images: ImagesBackend;
  containers?: ContainersBackend;
  networks?: NetworksBackend;
  log?: (line: string) => void;
  socketMode?: number;
  /** Group id owning the sockets. */
  socketGid?: number;
}

/** Starts serving on every configured socket; if one fails, the ones already open are closed again. */
export async function startDaemon(options: StartDaemonOptions): Promise<RunningDaemon> {
  const version = readOwnVersion();
  const services = {
    images: options.images,
    ...(options.containers ? { containers: options.containers } : {}),
    ...(options.networks ? { networks: options.networks } : {}),
    facts: {
      version,
      id: loadDaemonId(options.config.root),
      root: options.config.root,
      ...buildInfo(),
    },
    host: readHostFacts(),
    ...(options.log ? { log: options.log } : {}),
  };
  const listening: Array<{ server: Server; path: string }> = [];
  try {
    for (const path of options.config.sockets) {
      const server = createDaemonServer(services);
      await listenUnix(server, path, options.socketMode ?? 0o660, options.socketGid);
      listening.push({ server, path });
    }
  } catch (error) {
    await Promise.all(listening.map(({ server, path }) => closeServer(server, path)));
    throw error;
  }
  return {
    sockets: listening.map(({ path }) => path),
    close: async () => {
      await Promise.all(listening.map(({ server, path }) => closeServer(server, path)));
    },
  };
}
