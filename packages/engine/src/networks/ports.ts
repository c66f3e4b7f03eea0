/**
 * docker's HostConfig.PortBindings / PublishAllPorts → @c/network's port mappings. The bindings go through
 * `parsePublishSpec`, so `-p` on the CLI and `PortBindings` over the API follow the same rules and errors.
 */
import { parsePublishSpec, publishAllExposed, type PortMapping } from '@c/network';

/** `{"80/tcp": [{HostIp: "", HostPort: "8080"}]}`; an empty HostPort means "pick one". */
export type PortBindings = Record<string, { HostIp?: string; HostPort?: string }[] | null>;

function bindingSpec(key: string, hostIp: string, hostPort: string): string {
  const [port, proto = 'tcp'] = key.split('/');
  const container = `${port}/${proto}`;
  if (hostIp === '' && hostPort === '') return container;
  const ip = hostIp.includes(':') ? `[${hostIp}]` : hostIp;
  return hostIp === '' ? `${hostPort}:${container}` : `${ip}:${hostPort}:${container}`;
}

/** Every mapping to publish: the explicit bindings, then (with PublishAllPorts) each exposed port not bound yet. */
export function portMappingsOf(bindings: PortBindings | null | undefined, publishAll: boolean, exposed: Iterable<string>): PortMapping[] {
  const mappings: PortMapping[] = [];
  const bound = new Set<string>();
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const normalized = key.includes('/') ? key : `${key}/tcp`;
    for (const binding of list ?? [{}]) {
      mappings.push(...parsePublishSpec(bindingSpec(normalized, binding.HostIp ?? '', binding.HostPort ?? '')));
    }
    bound.add(normalized);
  }
  if (publishAll) {
    const rest = [...exposed].map((k) => (k.includes('/') ? k : `${k}/tcp`)).filter((k) => !bound.has(k));
    mappings.push(...publishAllExposed(rest));
  }
  return mappings;
}
