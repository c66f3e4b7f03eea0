import { describe, expect, it } from 'vitest';
import { PR, RecordingSyscalls } from '@c/namespaces';
import { capabilityMask } from '../spec/capabilities';
import { applyIdentity } from './process-setup';

const kill = capabilityMask(['CAP_KILL']);

describe('applyIdentity', () => {
  it('drops the bounding set first, switches ids with keepcaps, then capset, ambient and no_new_privs', () => {
    const sys = new RecordingSyscalls();
    applyIdentity(sys, {
      user: { uid: 1000, gid: 100, additionalGids: [5, 6] },
      capabilities: { bounding: kill, effective: kill, permitted: kill, inheritable: kill, ambient: kill },
      rlimits: [],
      noNewPrivileges: true,
      lastCap: 40,
    });
    const dropped = sys.callsOf('prctl').filter(([op]) => op === PR.CAPBSET_DROP).map(([, cap]) => cap);
    expect(dropped).toHaveLength(40);
    expect(dropped).not.toContain(5);
    const order = sys.calls.filter((c) => c.name !== 'prctl' || c.args[0] !== PR.CAPBSET_DROP).map((c) => (c.name === 'prctl' ? `prctl:${c.args[0]}:${c.args[1]}` : c.name));
    expect(order).toEqual([
      `prctl:${PR.SET_KEEPCAPS}:1`,
      'setgroups',
      'setresgid',
      'setresuid',
      `prctl:${PR.SET_KEEPCAPS}:0`,
      'capset',
      `prctl:${PR.CAP_AMBIENT}:${PR.CAP_AMBIENT_CLEAR_ALL}`,
      `prctl:${PR.CAP_AMBIENT}:${PR.CAP_AMBIENT_RAISE}`,
      `prctl:${PR.SET_NO_NEW_PRIVS}:1`,
    ]);
    expect(sys.callsOf('setgroups')).toEqual([[[5, 6]]]);
    expect(sys.callsOf('setresuid')).toEqual([[1000, 1000, 1000]]);
    expect(sys.callsOf('capset')).toEqual([[{ effective: kill, permitted: kill, inheritable: kill }]]);
  });

  it('ignores EINVAL for capabilities the kernel does not know but fails on other errors', () => {
    const sys = new RecordingSyscalls().failOn('prctl', 'EINVAL', { when: (a) => a[0] === PR.CAPBSET_DROP && a[1] === 40 });
    const identity = { user: { uid: 0, gid: 0 }, capabilities: { bounding: 0n, effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n }, rlimits: [], noNewPrivileges: false, lastCap: 40 };
    expect(() => applyIdentity(sys, identity)).not.toThrow();
    const failing = new RecordingSyscalls().failOn('setresuid', 'EPERM');
    expect(() => applyIdentity(failing, identity)).toThrow(/setresuid.*EPERM/);
  });
});
