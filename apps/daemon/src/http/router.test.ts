import { describe, expect, it } from 'vitest';
import { Router, type Handler } from './router';

const named = (name: string): Handler & { label: string } => Object.assign(() => undefined, { label: name });

describe('Router', () => {
  const list = named('list');
  const inspect = named('inspect');
  const remove = named('remove');
  const ping = named('ping');
  const router = new Router().add(
    { method: 'GET', pattern: '/images/json', handler: list },
    { method: 'GET', pattern: '/images/{name*}/json', handler: inspect },
    { method: 'DELETE', pattern: '/images/{name*}', handler: remove },
    { method: 'GET', pattern: '/_ping', handler: ping },
    { method: 'GET', pattern: '/containers/{id}/json', handler: named('container') },
  );

  it('matches literal routes before parameterised ones', () => {
    expect(router.match('GET', '/images/json')?.route.handler).toBe(list);
  });

  it('lets {name*} span slashes and ports, decoding percent escapes', () => {
    const match = router.match('GET', '/images/127.0.0.1:5000/team/app:1.0/json');
    expect(match?.route.handler).toBe(inspect);
    expect(match?.params).toEqual({ name: '127.0.0.1:5000/team/app:1.0' });
    expect(router.match('GET', '/images/127.0.0.1%3A5000%2Fbusybox/json')?.params).toEqual({ name: '127.0.0.1:5000/busybox' });
    expect(router.match('DELETE', '/images/sha256:abc')?.params).toEqual({ name: 'sha256:abc' });
  });

  it('keeps {id} to one segment', () => {
    expect(router.match('GET', '/containers/abc/json')?.params).toEqual({ id: 'abc' });
    expect(router.match('GET', '/containers/a/b/json')).toBeUndefined();
  });

  it('checks the method, lets HEAD use GET routes, and accepts a trailing slash', () => {
    expect(router.match('POST', '/images/json')).toBeUndefined();
    expect(router.match('HEAD', '/_ping')?.route.handler).toBe(ping);
    expect(router.match('GET', '/_ping/')?.route.handler).toBe(ping);
    expect(router.match('GET', '/nope')).toBeUndefined();
    expect(router.match('GET', '/images//json')).toBeUndefined();
  });

  it('rejects malformed percent-encoding as invalid input', () => {
    expect(() => router.match('GET', '/images/%E0%A4%A/json')).toThrow(/malformed percent-encoding/);
  });
});
