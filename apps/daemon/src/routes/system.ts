import { API_VERSION, MIN_API_VERSION, parseAuthConfig, type InfoResponse, type VersionResponse } from '@c/api';
import { CError } from '@c/errors';
import type { DaemonFacts, ImagesBackend } from '../backends';
import type { ContainersBackend } from '../containers/backend';
import { readJsonBody, sendJson } from '../http/respond';
import type { Route } from '../http/router';
import type { HostFacts } from '../system/host';

export interface SystemRoutesOptions {
  facts: DaemonFacts;
  host: HostFacts;
  images: Pick<ImagesBackend, 'list' | 'login'>;
  /** Absent in image-only setups (tests): then there are no containers to count. */
  containers?: Pick<ContainersBackend, 'list'>;
}

export interface ContainerCounts {
  running: number;
  paused: number;
  stopped: number;
}

function countContainers(containers: SystemRoutesOptions['containers']): ContainerCounts {
  const counts = { running: 0, paused: 0, stopped: 0 };
  for (const row of containers?.list({ all: true }) ?? []) {
    if (row.State === 'paused') counts.paused += 1;
    else if (row.State === 'running' || row.State === 'restarting') counts.running += 1;
    else counts.stopped += 1;
  }
  return counts;
}

/** `/_ping`, `/version`, `/info`, `/auth`. */
export function systemRoutes({ facts, host, images, containers }: SystemRoutesOptions): Route[] {
  const ping: Route['handler'] = ({ req, res }) => {
    res.setHeader('Builder-Version', '1');
    res.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
    res.setHeader('Pragma', 'no-cache');
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    if (req.method === 'HEAD') {
      res.setHeader('Content-Length', '0');
      res.writeHead(200).end();
      return;
    }
    res.setHeader('Content-Length', '2');
    res.writeHead(200).end('OK');
  };

  return [
    { method: 'GET', pattern: '/_ping', handler: ping },
    { method: 'HEAD', pattern: '/_ping', handler: ping },
    {
      method: 'GET',
      pattern: '/version',
      handler: ({ res }) => sendJson(res, 200, versionResponse(facts, host)),
    },
    {
      method: 'GET',
      pattern: '/info',
      handler: async ({ res }) => {
        const rows = await images.list();
        const imageCount = new Set(rows.map((row) => row.id)).size;
        sendJson(res, 200, infoResponse(facts, host, { images: imageCount, containers: countContainers(containers) }));
      },
    },
    {
      method: 'POST',
      pattern: '/auth',
      handler: async ({ req, res }) => {
        const config = parseAuthConfig((await readJsonBody(req)) ?? {}, 'auth request body');
        if (!config.username || !config.password) {
          throw new CError('INVALID_ARGUMENT', 'login needs a username and a password', {
            hint: 'send {"username": …, "password": …, "serveraddress": …}',
          });
        }
        await images.login(config.serveraddress, { username: config.username, password: config.password });
        sendJson(res, 200, { Status: 'Login Succeeded', IdentityToken: '' });
      },
    },
  ];
}

export function versionResponse(facts: DaemonFacts, host: HostFacts): VersionResponse {
  const details = {
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: facts.gitCommit,
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: host.goArch,
    KernelVersion: host.kernelVersion,
    BuildTime: facts.buildTime,
    Experimental: 'false',
  };
  return {
    Platform: { Name: 'c' },
    Components: [{ Name: 'Engine', Version: facts.version, Details: details }],
    Version: facts.version,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: facts.gitCommit,
    GoVersion: details.GoVersion,
    Os: 'linux',
    Arch: host.goArch,
    KernelVersion: host.kernelVersion,
    BuildTime: facts.buildTime,
  };
}

export function infoResponse(
  facts: DaemonFacts,
  host: HostFacts,
  counts: { images: number; containers?: ContainerCounts },
): InfoResponse {
  const containers = counts.containers ?? { running: 0, paused: 0, stopped: 0 };
  return {
    ID: facts.id,
    Containers: containers.running + containers.paused + containers.stopped,
    ContainersRunning: containers.running,
    ContainersPaused: containers.paused,
    ContainersStopped: containers.stopped,
    Images: counts.images,
    Driver: 'overlay2',
    DriverStatus: [],
    Plugins: { Volume: ['local'], Network: ['none'], Authorization: null, Log: ['json-file'] },
    MemoryLimit: true,
    SwapLimit: false,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: false,
    Debug: false,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: host.cgroupVersion,
    NEventsListener: 0,
    KernelVersion: host.kernelVersion,
    OperatingSystem: host.operatingSystem,
    OSVersion: host.osVersion,
    OSType: 'linux',
    Architecture: host.architecture,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      InsecureRegistryCIDRs: ['127.0.0.0/8'],
      IndexConfigs: { 'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true } },
      Mirrors: [],
    },
    NCPU: host.ncpu,
    MemTotal: host.memTotal,
    DockerRootDir: facts.root,
    HttpProxy: process.env.HTTP_PROXY ?? process.env.http_proxy ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? process.env.https_proxy ?? '',
    NoProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? '',
    Name: host.hostname,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: facts.version,
    // Filled in when the container runtime is wired to the daemon.
    Runtimes: {},
    DefaultRuntime: '',
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: false,
    Isolation: '',
    InitBinary: '',
    SecurityOptions: [],
    Warnings: null,
  };
}
