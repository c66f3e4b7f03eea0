import { describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { applyChanges } from './changes';

describe('applyChanges', () => {
  it('takes JSON and shell forms of CMD and ENTRYPOINT', () => {
    expect(applyChanges({}, ['CMD ["sh", "-c", "echo hi"]']).Cmd).toEqual(['sh', '-c', 'echo hi']);
    expect(applyChanges({}, ['ENTRYPOINT /bin/app --flag']).Entrypoint).toEqual(['/bin/sh', '-c', '/bin/app --flag']);
  });

  it('sets, replaces and adds environment variables', () => {
    const config = applyChanges({ Env: ['PATH=/bin', 'A=1'] }, ['ENV A=2 B="two words"', 'env C 3 4']);
    expect(config.Env).toEqual(['PATH=/bin', 'A=2', 'B=two words', 'C=3 4']);
  });

  it('handles EXPOSE, LABEL, VOLUME, USER, WORKDIR and STOPSIGNAL', () => {
    const config = applyChanges({}, [
      'EXPOSE 80 53/udp',
      'LABEL a=b c="d e"',
      'VOLUME ["/data", "/logs"]',
      'USER nobody',
      'WORKDIR /srv',
      'STOPSIGNAL SIGINT',
    ]);
    expect(config).toEqual({
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      Labels: { a: 'b', c: 'd e' },
      Volumes: { '/data': {}, '/logs': {} },
      User: 'nobody',
      WorkingDir: '/srv',
      StopSignal: 'SIGINT',
    });
  });

  it('merges into the given maps without changing them; a later value wins; "__proto__" stays a plain key', () => {
    const given = { Labels: { keep: '1', over: 'old' }, ExposedPorts: { '22/tcp': {} as Record<string, never> } };
    const config = applyChanges(given, ['LABEL over=new', 'LABEL __proto__=x over=newest', 'EXPOSE 80']);
    expect(Object.entries(config.Labels ?? {})).toEqual([['keep', '1'], ['over', 'newest'], ['__proto__', 'x']]);
    expect(Object.getPrototypeOf(config.Labels)).toBe(Object.prototype);
    expect(config.ExposedPorts).toEqual({ '22/tcp': {}, '80/tcp': {} });
    expect(given).toEqual({ Labels: { keep: '1', over: 'old' }, ExposedPorts: { '22/tcp': {} } });
  });

  it.each([['RUN true'], ['CMD'], ['CMD ["sh"'], ['CMD [1]'], ['EXPOSE eighty'], ['ENV novalue']])(
    'refuses %s with INVALID_ARGUMENT',
    (change) => {
      let error: unknown;
      try {
        applyChanges({}, [change]);
      } catch (e) {
        error = e;
      }
      expect(isCError(error, 'INVALID_ARGUMENT')).toBe(true);
    },
  );
});
