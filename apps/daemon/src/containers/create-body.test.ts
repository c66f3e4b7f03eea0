import { describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { parseCreateRequest } from './create-body';

describe('parseCreateRequest', () => {
  it('maps docker’s create body onto the engine’s options', () => {
    const { options, warnings } = parseCreateRequest(
      {
        Image: 'busybox',
        Cmd: ['sh', '-c', 'echo hi'],
        Entrypoint: null,
        Env: ['A=1'],
        WorkingDir: '/srv',
        User: '1000:1000',
        Tty: true,
        OpenStdin: true,
        Labels: { a: 'b' },
        StopSignal: 'SIGINT',
        StopTimeout: 3,
        Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9 },
        HostConfig: {
          Binds: ['/h:/c:ro'],
          Memory: 1 << 26,
          CpuQuota: 50_000,
          CpuPeriod: 100_000,
          PidsLimit: 64,
          ReadonlyRootfs: true,
          CapAdd: ['NET_ADMIN'],
          CapDrop: ['ALL'],
          RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
          LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } },
          NetworkMode: 'default',
        },
      },
      'web',
    );
    expect(options).toEqual({
      image: 'busybox',
      name: 'web',
      cmd: ['sh', '-c', 'echo hi'],
      env: ['A=1'],
      workingDir: '/srv',
      user: '1000:1000',
      tty: true,
      openStdin: true,
      labels: { a: 'b' },
      stopSignal: 'SIGINT',
      stopTimeout: 3,
      healthcheck: { Test: ['CMD', 'true'], Interval: 1e9 },
      binds: ['/h:/c:ro'],
      memory: 1 << 26,
      cpus: 0.5,
      pidsLimit: 64,
      readOnly: true,
      capAdd: ['NET_ADMIN'],
      capDrop: ['ALL'],
      restartPolicy: 'on-failure:3',
      logMaxSize: '1m',
      logMaxFile: '2',
      networkMode: 'default',
    });
    expect(warnings).toEqual([]);
  });

  it('takes NanoCpus, a string Cmd, and zero limits as unlimited', () => {
    const { options } = parseCreateRequest({ Image: 'x', Cmd: 'true', HostConfig: { NanoCpus: 2e9, Memory: 0, PidsLimit: -1, RestartPolicy: { Name: 'always' } } }, '');
    expect(options).toEqual({ image: 'x', cmd: ['true'], cpus: 2, restartPolicy: 'always' });
  });

  it('refuses what would silently change behaviour, warns about what is harmless to drop', () => {
    const code = (body: unknown) => {
      try {
        parseCreateRequest(body, null);
        return 'ok';
      } catch (error) {
        return isCError(error) ? error.code : 'other';
      }
    };
    expect(code({})).toBe('INVALID_ARGUMENT');
    expect(code({ Image: 'x', Cmd: [1] })).toBe('INVALID_ARGUMENT');
    expect(code({ Image: 'x', HostConfig: { Privileged: true } })).toBe('UNSUPPORTED');
    expect(code({ Image: 'x', HostConfig: { NetworkMode: 'host' } })).toBe('ok');
    expect(code({ Image: 'x', HostConfig: { LogConfig: { Type: 'syslog' } } })).toBe('UNSUPPORTED');
    expect(code({ Image: 'x', HostConfig: { NanoCpus: 1e9, CpuQuota: 1000 } })).toBe('CONFLICT');
    expect(code({ Image: 'x', HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } })).toBe('INVALID_ARGUMENT');
    expect(code({ Image: 'x', HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } } })).toBe('INVALID_ARGUMENT');
    const { options, warnings } = parseCreateRequest({ Image: 'x', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '80' }] }, CpuShares: 512, Init: true } }, null);
    expect(warnings).toHaveLength(2);
    expect(options.portBindings).toEqual({ '80/tcp': [{ HostIp: '', HostPort: '80' }] });
  });
});
