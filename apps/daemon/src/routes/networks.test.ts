import { describe, expect, it } from 'vitest';
import { parseFilters } from '@c/api';
import { isCError } from '@c/errors';
import type { NetworkInspect } from '@c/engine';
import { networkMatches, parseNetworkCreate } from './networks';

const network = (name: string, labels: Record<string, string> = {}): NetworkInspect => ({
  Name: name,
  Id: `${name.length}`.padEnd(64, 'a'),
  Created: '2026-01-01T00:00:00Z',
  Scope: 'local',
  Driver: name === 'host' ? 'host' : 'bridge',
  EnableIPv6: false,
  IPAM: { Driver: 'default', Options: null, Config: [] },
  Internal: false,
  Attachable: false,
  Ingress: false,
  ConfigFrom: { Network: '' },
  ConfigOnly: false,
  Containers: {},
  Options: {},
  Labels: labels,
});

describe('network routes', () => {
  it('parses docker’s create body: name, subnet, gateway, internal, labels; refuses other drivers and IPv6', () => {
    expect(parseNetworkCreate({ Name: 'front', IPAM: { Config: [{ Subnet: '10.9.0.0/24', Gateway: '10.9.0.1' }] }, Internal: true, Labels: { a: 'b' } })).toEqual({
      name: 'front',
      subnet: '10.9.0.0/24',
      gateway: '10.9.0.1',
      internal: true,
      labels: { a: 'b' },
    });
    const code = (body: unknown) => {
      try {
        parseNetworkCreate(body);
        return 'ok';
      } catch (error) {
        return isCError(error) ? error.code : 'other';
      }
    };
    expect(code({})).toBe('INVALID_ARGUMENT');
    expect(code({ Name: 'x', Driver: 'overlay' })).toBe('UNSUPPORTED');
    expect(code({ Name: 'x', EnableIPv6: true })).toBe('UNSUPPORTED');
  });

  it('filters like docker: name substring, driver, builtin/custom type, label', () => {
    const all = [network('bridge'), network('host'), network('front', { env: 'dev' }), network('backend')];
    const names = (filters: string) => all.filter((n) => networkMatches(n, parseFilters(filters))).map((n) => n.Name);
    expect(names('{"name":{"end":true}}')).toEqual(['backend']);
    expect(names('{"driver":{"host":true}}')).toEqual(['host']);
    expect(names('{"type":{"custom":true}}')).toEqual(['front', 'backend']);
    expect(names('{"label":{"env=dev":true}}')).toEqual(['front']);
  });
});
