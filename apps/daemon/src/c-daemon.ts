import { toCError } from '@c/errors';
import { readFileSync } from 'node:fs';
import { USAGE, parseDaemonArgs, resolveGroup } from './args';
import { startDaemon } from './daemon';
import { createEngineImagesBackend, openEngineContainersBackend } from './engine-backend';
import { engineNetworksBackend, openEngineNetworkService } from './network-backend';
import { readOwnVersion } from './version';

const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
};

async function main(): Promise<void> {
  const config = parseDaemonArgs(process.argv.slice(2));
  if (config.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (config.version) {
    process.stdout.write(`c-daemon ${readOwnVersion()}\n`);
    return;
  }
  const socketGid = config.group === undefined ? undefined : resolveGroup(config.group, readFileSync('/etc/group', 'utf8'));
  const network = await openEngineNetworkService(config.root);
  const containers = await openEngineContainersBackend(config.root, network, {
    size: config.initPool,
    refillDelayMs: config.initPoolRefillMs,
    onError: (error) => log(`init pool: ${toCError(error).message} (starts spawn their init meanwhile)`),
  }, {
    size: config.buildThreads,
    onError: (error) => log(`build threads: ${toCError(error).message} (starts build on the event loop)`),
  });
  const daemon = await startDaemon({
    config,
    images: createEngineImagesBackend(config.root, containers),
    containers,
    networks: engineNetworksBackend(network, containers),
    log,
    ...(socketGid === undefined ? {} : { socketGid }),
  });
  log(`c-daemon ${readOwnVersion()} listening on ${daemon.sockets.map((s) => `unix://${s}`).join(', ')} (root ${config.root}, init pool ${config.initPool}, build threads ${config.buildThreads})`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log(`received ${signal}, shutting down`);
    daemon
      .close()
      .then(async () => {
        // Containers keep running: the next daemon on this root adopts them. Pooled inits are killed.
        containers.close();
        void network.close();
        // Record writes waiting for their fsync on the thread pool, and deletions of removed containers.
        await containers.settled();
      })
      .then(
        () => {
          log('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          log(`shutdown failed: ${toCError(error).message}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  const cerror = toCError(error);
  log(`c-daemon: ${cerror.describe()}`);
  process.exit(cerror.code === 'INVALID_ARGUMENT' || cerror.code === 'UNSUPPORTED' ? 2 : 1);
});
