import { describe, expect, it } from 'vitest';
import { CError, ERROR_CODES, isCError, notFound, toCError } from './index';

describe('CError', () => {
  it('carries code, hint and details', () => {
    const error = new CError('NOT_FOUND', 'No such image: busybox:latest', {
      hint: 'pull it first with `c pull busybox`',
      details: { ref: 'busybox:latest' },
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('NOT_FOUND');
    expect(error.describe()).toBe('No such image: busybox:latest: pull it first with `c pull busybox`');
    expect(error.details).toEqual({ ref: 'busybox:latest' });
  });

  it('tells CErrors apart by code', () => {
    const error = notFound('gone');
    expect(isCError(error)).toBe(true);
    expect(isCError(error, 'NOT_FOUND')).toBe(true);
    expect(isCError(error, 'CONFLICT')).toBe(false);
    expect(isCError(new Error('x'))).toBe(false);
  });

  it('wraps foreign errors and keeps the cause', () => {
    const cause = new Error('boom');
    const wrapped = toCError(cause, 'UNAVAILABLE');
    expect(wrapped.code).toBe('UNAVAILABLE');
    expect(wrapped.cause).toBe(cause);
    expect(toCError(wrapped)).toBe(wrapped);
    expect(toCError('text').message).toBe('text');
  });

  it('has unique codes', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
  });
});
