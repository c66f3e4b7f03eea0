import { describe, expect, it } from 'vitest';
import { createBody, parseDuration, parseMemory, parseRestart } from './create-body';
import { parseEnvFile } from './env-file';

describe('run flags → create body', () => {
  it('maps a plain attached run', () => {
    expect(createBody({ image: 'busybox', command: ['echo', 'hi'] })).toEqual({
      Image: 'busybox', Cmd: ['echo', 'hi'], Tty: false, OpenStdin: false, StdinOnce: false,
      AttachStdin: false, AttachStdout: true, AttachStderr: true,
    });
  });
  it('maps -it and -d like docker', () => {
    const it_ = createBody({ image: 'b', command: [], tty: true, interactive: true });
    expect([it_.Tty, it_.OpenStdin, it_.StdinOnce, it_.AttachStdin]).toEqual([true, true, true, true]);
    expect(it_.Cmd).toBeUndefined();
    const d = createBody({ image: 'b', command: [], detach: true, interactive: true });
    expect([d.OpenStdin, d.StdinOnce, d.AttachStdin, d.AttachStdout]).toEqual([true, false, false, false]);
  });
  it('maps config and host flags', () => {
    const body = createBody(
      {
        image: 'b', command: [], env: ['A=1', 'FROM_HOST', 'UNSET'], envFromFiles: ['Z=0'], workdir: '/w', user: '1:1', entrypoint: '',
        volume: ['/h:/c:ro'], hostname: 'box', memory: '64m', cpus: '1.5', pidsLimit: 20, readOnly: true,
        capAdd: ['NET_ADMIN'], capDrop: ['ALL'], restart: 'on-failure:3', label: ['a=b', 'flag'],
        healthCmd: 'true', healthInterval: '1m30s', healthRetries: 2, healthTimeout: '500ms', healthStartPeriod: '2s',
      },
      { FROM_HOST: 'x' },
    );
    expect(body).toMatchObject({
      Env: ['Z=0', 'A=1', 'FROM_HOST=x'], WorkingDir: '/w', User: '1:1', Entrypoint: [''], Hostname: 'box',
      Labels: { a: 'b', flag: '' },
      Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 90e9, Timeout: 5e8, Retries: 2, StartPeriod: 2e9 },
      HostConfig: {
        Binds: ['/h:/c:ro'], Memory: 64 * 1024 * 1024, NanoCpus: 1.5e9, PidsLimit: 20, ReadonlyRootfs: true,
        CapAdd: ['NET_ADMIN'], CapDrop: ['ALL'], RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      },
    });
  });
  it('sets AutoRemove for --rm and refuses it with a restart policy', () => {
    expect(createBody({ image: 'b', command: [], rm: true }).HostConfig).toEqual({ AutoRemove: true });
    expect(() => createBody({ image: 'b', command: [], rm: true, restart: 'always' })).toThrow(/--restart and --rm/);
  });
  it('parses sizes, durations and restart policies', () => {
    expect(parseMemory('1g')).toBe(1024 ** 3);
    expect(parseMemory('100')).toBe(100);
    expect(() => parseMemory('lots')).toThrow(/invalid memory size/);
    expect(parseDuration('1h2m3s')).toBe(3723e9);
    expect(() => parseDuration('5 minutes')).toThrow(/invalid duration/);
    expect(parseRestart('always')).toEqual({ Name: 'always' });
    expect(() => parseRestart('always:2')).toThrow(/invalid restart policy/);
    expect(() => parseRestart('sometimes')).toThrow(/invalid restart policy/);
  });
});

describe('--env-file', () => {
  it('skips comments and blanks, takes bare names from the environment', () => {
    expect(parseEnvFile('# c\n\nA=1\n  B=two words\nHOME_X\nMISSING\nC=\n', { HOME_X: '/h' })).toEqual(['A=1', 'B=two words', 'HOME_X=/h', 'C=']);
  });
  it('refuses names with whitespace', () => {
    expect(() => parseEnvFile('BAD NAME=1', {}, 'f.env')).toThrow(/f.env:1: variable 'BAD NAME'/);
  });
});
