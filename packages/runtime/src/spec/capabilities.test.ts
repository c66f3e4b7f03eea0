import { describe, expect, it } from 'vitest';
import { DOCKER_DEFAULT_CAPABILITIES, capabilityMask, capabilityNames, resolveCapabilities } from './capabilities';

describe('capabilities', () => {
  it('maps Docker\'s default set to the mask runc reports for docker run (00000000a80425fb)', () => {
    expect(capabilityMask(DOCKER_DEFAULT_CAPABILITIES).toString(16)).toBe('a80425fb');
  });

  it('accepts names without the CAP_ prefix and in any case', () => {
    expect(capabilityMask(['net_admin', 'CAP_SYS_ADMIN'])).toBe((1n << 12n) | (1n << 21n));
  });

  it('drops what the host cannot grant and reports it', () => {
    const available = capabilityMask(['CAP_CHOWN', 'CAP_KILL']);
    const r = resolveCapabilities({ bounding: ['CAP_CHOWN', 'CAP_SYS_RESOURCE'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'] }, available);
    expect(capabilityNames(r.masks.bounding)).toEqual(['CAP_CHOWN']);
    expect(r.unavailable).toEqual(['CAP_SYS_RESOURCE']);
  });

  it('keeps ambient only where permitted and inheritable, and effective within permitted', () => {
    const all = (1n << 41n) - 1n;
    const r = resolveCapabilities({ ambient: ['CAP_KILL', 'CAP_CHOWN'], inheritable: ['CAP_KILL'], permitted: ['CAP_KILL'], effective: ['CAP_KILL', 'CAP_CHOWN'] }, all);
    expect(capabilityNames(r.masks.ambient)).toEqual(['CAP_KILL']);
    expect(capabilityNames(r.masks.effective)).toEqual(['CAP_KILL']);
  });
});
