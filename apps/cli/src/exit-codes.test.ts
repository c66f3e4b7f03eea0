import { describe, expect, it } from 'vitest';
import { CError, ERROR_CODES } from '@c/errors';
import { EXIT_CODES, exitCodeFor, runFailureExitCode } from './exit-codes';
import { reportError } from './report-error';

describe('exit codes', () => {
  it('gives c run docker\'s 125/126/127 from the daemon\'s start error', () => {
    expect(runFailureExitCode('exec: "nope": executable file not found in $PATH')).toBe(127);
    expect(runFailureExitCode('exec: "/etc/passwd": permission denied')).toBe(126);
    expect(runFailureExitCode('No such image: nothing:latest')).toBe(125);
    expect(runFailureExitCode('cannot connect to the c daemon')).toBe(125);
  });

  it('has an entry for every error code, none of them 0', () => {
    for (const code of ERROR_CODES) expect(EXIT_CODES[code]).toBeGreaterThan(0);
    expect(Object.keys(EXIT_CODES).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('follows docker: 1 for failed operations, 125 for unusable input, 130 for interruption', () => {
    expect(exitCodeFor('NOT_FOUND')).toBe(1);
    expect(exitCodeFor('UNAUTHORIZED')).toBe(1);
    expect(exitCodeFor('UNAVAILABLE')).toBe(1);
    expect(exitCodeFor('CONFLICT')).toBe(1);
    expect(exitCodeFor('INVALID_ARGUMENT')).toBe(125);
    expect(exitCodeFor('CANCELLED')).toBe(130);
  });
});

describe('reportError', () => {
  function capture(error: unknown, debug = false) {
    let text = '';
    const code = reportError(error, debug, { write: (t: string) => (text += t) });
    return { code, text };
  }

  it('prints one line: what failed, then what to do', () => {
    const { code, text } = capture(new CError('NOT_FOUND', 'No such image: x:1', { hint: 'pull it first' }));
    expect(text).toBe('Error: No such image: x:1: pull it first\n');
    expect(code).toBe(1);
  });

  it('adds the stack only with --debug', () => {
    expect(capture(new CError('INTERNAL', 'boom', { hint: 'h' }), true).text).toMatch(/^Error: boom: h\nCError: boom\n\s+at /);
  });

  it('gives usage errors (INVALID_ARGUMENT) the usage exit code', () => {
    const error = new CError('INVALID_ARGUMENT', 'Unknown argument: bogus', { hint: "see 'c --help'" });
    expect(capture(error)).toEqual({ code: 125, text: "Error: Unknown argument: bogus: see 'c --help'\n" });
  });

  it('reports foreign errors as unexpected failures', () => {
    const { code, text } = capture(new TypeError('x is undefined'));
    expect(code).toBe(1);
    expect(text).toMatch(/^Error: x is undefined: this is unexpected/);
  });
});

describe('daemon errors get a hint', () => {
  it('adds what to do to a bare daemon message', () => {
    let text = '';
    reportError(new CError('NOT_FOUND', 'No such image: nothere:1'), false, { write: (t: string) => (text += t) });
    expect(text).toBe('Error: No such image: nothere:1: check the name with `c images`, or pull it with `c pull`\n');
    text = '';
    reportError(new CError('INTERNAL', 'pushing blob sha256:ab failed: HTTP 401'), false, { write: (t: string) => (text += t) });
    expect(text).toMatch(/HTTP 401: log in with `c login REGISTRY`/);
  });
});
