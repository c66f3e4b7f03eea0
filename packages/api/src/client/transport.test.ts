import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isCError } from '@c/errors';
import { ApiResponse } from './http1';
import { buildPath, readBody } from './transport';

function response(chunks: string[]): ApiResponse {
  const res = new ApiResponse(200, 'OK', {}, new Socket());
  for (const chunk of chunks) res.push(Buffer.from(chunk));
  res.push(null);
  return res;
}

describe('readBody', () => {
  it('joins the chunks of a body', async () => {
    expect((await readBody(response(['{"a"', ':1}']), 100, 'GET /x')).toString()).toBe('{"a":1}');
  });

  it('refuses a body over the bound, naming the request', async () => {
    const error = await readBody(response(['0123456789', '0123456789']), 15, 'GET /big').catch((e: unknown) => e);
    expect(isCError(error, 'LIMIT_EXCEEDED')).toBe(true);
    expect((error as Error).message).toBe('GET /big: response body exceeds 15 bytes');
  });
});

describe('buildPath', () => {
  it('appends the defined query values, escaped; no `?` without any', () => {
    expect(buildPath('/containers/create', { name: 'a b&c', skipped: undefined, n: 3, on: true })).toBe('/containers/create?name=a%20b%26c&n=3&on=true');
    expect(buildPath('/_ping', undefined)).toBe('/_ping');
    expect(buildPath('/_ping', { gone: undefined })).toBe('/_ping');
  });
});
