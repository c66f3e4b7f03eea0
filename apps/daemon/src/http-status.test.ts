import { describe, expect, it } from 'vitest';
import { CError, ERROR_CODES } from '@c/errors';
import { errorCodeForStatus } from '@c/api';
import { errorResponse, statusForCode } from './http-status';

describe('http-status', () => {
  it('maps the codes clients act on to Docker statuses', () => {
    expect(statusForCode('NOT_FOUND')).toBe(404);
    expect(statusForCode('CONFLICT')).toBe(409);
    expect(statusForCode('INVALID_ARGUMENT')).toBe(400);
    expect(statusForCode('UNAUTHORIZED')).toBe(401);
    expect(statusForCode('PERMISSION_DENIED')).toBe(403);
    expect(statusForCode('UNSUPPORTED')).toBe(501);
    expect(statusForCode('INTERNAL')).toBe(500);
    expect(statusForCode('DIGEST_MISMATCH')).toBe(500);
  });

  it('gives every code a status, and the client maps the 4xx ones back to the same code', () => {
    for (const code of ERROR_CODES) {
      const status = statusForCode(code);
      expect(status >= 400 && status < 600).toBe(true);
      if (status < 500 || status === 501) expect(errorCodeForStatus(status)).toBe(code);
    }
  });

  it('turns thrown values into a message body', () => {
    expect(errorResponse(new CError('NOT_FOUND', 'No such image: busybox:latest', { hint: 'pull it' }))).toEqual({
      status: 404,
      body: { message: 'No such image: busybox:latest' },
    });
    expect(errorResponse(new TypeError('boom'))).toEqual({ status: 500, body: { message: 'boom' } });
    expect(errorResponse('weird')).toEqual({ status: 500, body: { message: 'weird' } });
  });
});
