import { describe, expect, it } from 'vitest';
import { RLIM_INFINITY } from '@c/namespaces';
import { capabilityMask } from '../spec/capabilities';
import { defaultSpec } from '../spec/default-spec';
import { validateSpec } from '../spec/validate';
import { planInit } from './init-config';
import type { HostFacts } from './init-config';

const host: HostFacts = {
  // Everything but CAP_SYS_RESOURCE, like this machine's root.
  availableCapabilities: ((1n << 41n) - 1n) & ~(1n << 24n),
  hardLimit: (r) => (r === 7 ? 20000n : RLIM_INFINITY),
  canRaiseRlimits: false,
  lastCap: 40,
};

describe('planInit', () => {
  it('decides capabilities, rlimits and namespaces in the parent, with warnings for what it had to change', () => {
    const spec = defaultSpec({ terminal: false, args: ['true'] });
    spec.process!.capabilities!.bounding!.push('CAP_SYS_RESOURCE');
    spec.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }];
    const { config, warnings } = planInit(validateSpec(spec), '/bundle', '/state/exec.fifo', host, { consolePath: '/dev/pts/7' });
    expect(BigInt(config.identity.capabilities.bounding)).toBe(capabilityMask(spec.process!.capabilities!.effective));
    expect(config.identity.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', resource: 7, soft: '20000', hard: '20000' }]);
    expect(warnings).toHaveLength(2);
    expect(config.namespaces.map((n) => n.type)).not.toContain('pid');
    expect(config.rootfs).toMatchObject({ rootfs: '/bundle/rootfs', consolePath: '/dev/pts/7', hostname: 'c-runtime', readonly: true });
    expect(config.seccomp).toBeUndefined();
  });

  it('compiles linux.seccomp into a BPF program for the init', () => {
    const spec = defaultSpec({ terminal: false, args: ['true'] });
    spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    const { config } = planInit(validateSpec(spec), '/bundle', '/fifo', host);
    const program = Buffer.from(config.seccomp!.program, 'base64');
    expect(program.length % 8).toBe(0);
    expect(program.length).toBeGreaterThan(8);
  });
});
