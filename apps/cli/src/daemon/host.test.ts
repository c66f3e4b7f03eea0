import { describe, expect, it } from 'vitest';
import { DEFAULT_SOCKET, parseHostUrl, resolveDaemonTarget } from './host';

describe('which daemon c talks to', () => {
  const base = { host: undefined, env: {}, root: '/var/lib/c', rootGiven: false };
  it('prefers -H, then C_HOST, without auto-start', () => {
    expect(resolveDaemonTarget({ ...base, host: 'unix:///a.sock', env: { C_HOST: 'unix:///b.sock' } })).toEqual({ socketPath: '/a.sock', autoStart: false });
    expect(resolveDaemonTarget({ ...base, env: { C_HOST: '/b.sock', DOCKER_HOST: 'unix:///d.sock' } })).toEqual({ socketPath: '/b.sock', autoStart: false });
  });
  it('puts the socket under a given root, else uses the default; both auto-start', () => {
    expect(resolveDaemonTarget({ ...base, root: '/tmp/r', rootGiven: true })).toEqual({ socketPath: '/tmp/r/c.sock', autoStart: true });
    expect(resolveDaemonTarget({ ...base, env: { DOCKER_HOST: 'unix:///d.sock' } })).toEqual({ socketPath: DEFAULT_SOCKET, autoStart: true });
  });
  it('refuses hosts that are not absolute unix socket paths', () => {
    expect(() => parseHostUrl('tcp://127.0.0.1:2375')).toThrow(/expected unix:\/\/\/ABSOLUTE\/PATH/);
    expect(() => parseHostUrl('unix://relative.sock')).toThrow(/invalid host/);
  });
});
