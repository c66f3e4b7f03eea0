import { describe, expect, it } from 'vitest';
import { parseNetworkMode, planNetns, specNetworkNamespace } from './modes';

describe('network modes', () => {
  it('parses docker --network values', () => {
    expect(parseNetworkMode(undefined)).toEqual({ kind: 'bridge' });
    expect(parseNetworkMode('default')).toEqual({ kind: 'bridge' });
    expect(parseNetworkMode('host')).toEqual({ kind: 'host' });
    expect(parseNetworkMode('none')).toEqual({ kind: 'none' });
    expect(parseNetworkMode('container:web')).toEqual({ kind: 'container', container: 'web' });
    expect(parseNetworkMode('mynet')).toEqual({ kind: 'network', name: 'mynet' });
    expect(() => parseNetworkMode('container:')).toThrow(/no container given/);
  });

  it('plans the runtime spec namespace', () => {
    const lookup = (name: string) => (name === 'web' ? { id: 'abc', path: '/proc/42/ns/net' } : undefined);
    expect(planNetns({ kind: 'host' }, lookup)).toEqual({ kind: 'host' });
    expect(planNetns({ kind: 'none' }, lookup)).toEqual({ kind: 'new', connect: false });
    expect(planNetns({ kind: 'bridge' }, lookup)).toEqual({ kind: 'new', connect: true });
    expect(planNetns({ kind: 'container', container: 'web' }, lookup)).toEqual({ kind: 'join', path: '/proc/42/ns/net', containerId: 'abc' });
    expect(() => planNetns({ kind: 'container', container: 'db' }, lookup)).toThrow(/db: it is not running/);
  });

  it('turns a plan into the runtime spec namespace entry', () => {
    expect(specNetworkNamespace({ kind: 'host' })).toBeUndefined();
    expect(specNetworkNamespace({ kind: 'new', connect: false })).toEqual({ type: 'network' });
    expect(specNetworkNamespace({ kind: 'join', path: '/proc/42/ns/net', containerId: 'x' })).toEqual({ type: 'network', path: '/proc/42/ns/net' });
  });
});
