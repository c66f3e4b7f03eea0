import { CError, invalidArgument } from '@c/errors';

/** A parsed `--network` value. */
export type NetworkMode =
  | { kind: 'none' }
  | { kind: 'host' }
  | { kind: 'bridge' }
  | { kind: 'container'; container: string }
  | { kind: 'network'; name: string };

/** What the runtime spec's network namespace entry must be. */
export type NetnsPlan =
  /** A fresh namespace (spec: `{type: "network"}` without a path); connect it after the init exists. */
  | { kind: 'new'; connect: boolean }
  /** No network namespace entry: the container shares the host's. */
  | { kind: 'host' }
  /** `{type: "network", path}`: share another container's namespace. */
  | { kind: 'join'; path: string; containerId: string };

/** Parse docker's `--network` syntax: none | host | bridge | default | container:<name|id> | <network name or id>. */
export function parseNetworkMode(value: string | undefined): NetworkMode {
  const mode = value === undefined || value === '' || value === 'default' ? 'bridge' : value;
  if (mode === 'none' || mode === 'host' || mode === 'bridge') return { kind: mode };
  if (mode.startsWith('container:')) {
    const container = mode.slice('container:'.length);
    if (container === '') throw invalidArgument('invalid network mode "container:": no container given', { hint: 'use --network container:<name|id>' });
    return { kind: 'container', container };
  }
  return { kind: 'network', name: mode };
}

/**
 * Decide the namespace for a container. `lookupNetns` answers with the netns path of a running container
 * (e.g. /proc/<pid>/ns/net), or undefined when it is not running.
 */
export function planNetns(mode: NetworkMode, lookupNetns: (container: string) => { id: string; path: string } | undefined): NetnsPlan {
  switch (mode.kind) {
    case 'host':
      return { kind: 'host' };
    case 'none':
      return { kind: 'new', connect: false };
    case 'bridge':
    case 'network':
      return { kind: 'new', connect: true };
    case 'container': {
      const found = lookupNetns(mode.container);
      if (found === undefined) {
        throw new CError('CONFLICT', `cannot join the network namespace of container ${mode.container}: it is not running`, {
          hint: `start ${mode.container} first`,
        });
      }
      return { kind: 'join', path: found.path, containerId: found.id };
    }
  }
}

/** The OCI runtime spec `linux.namespaces` entry for a plan: none for host, with a path to join another's. */
export function specNetworkNamespace(plan: NetnsPlan): { type: 'network'; path?: string } | undefined {
  switch (plan.kind) {
    case 'host':
      return undefined;
    case 'new':
      return { type: 'network' };
    case 'join':
      return { type: 'network', path: plan.path };
  }
}
