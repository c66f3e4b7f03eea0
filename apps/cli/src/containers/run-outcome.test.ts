import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunStreamOutcome, detachedRunExit } from './run-outcome';

const ID = 'c'.repeat(64);
const payload = (message: unknown): Buffer => Buffer.from(JSON.stringify(message));

let stderr: string;
beforeEach(() => {
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true));
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('RunStreamOutcome', () => {
  it("exits with the container's status once it started, and forwards from its Id", () => {
    const started: string[] = [];
    const outcome = new RunStreamOutcome((id) => started.push(id));
    outcome.control(payload({ Id: ID, Warnings: ['careful'] }));
    outcome.control(payload({ StatusCode: 7, Error: null }));
    expect(started).toEqual([ID]);
    expect(outcome.exitCode(false)).toBe(7);
    expect(stderr).toBe('WARNING: careful\n');
  });

  it('refuses control messages of another shape instead of reading them as a status (which would exit 0)', () => {
    const outcome = new RunStreamOutcome(() => undefined);
    outcome.control(payload({ Id: ID, Warnings: [] }));
    for (const message of [null, 3, [], { Error: null }, { StatusCode: '1' }, { StatusCode: 1.5 }, { Id: 5 }, { Id: ID, StartError: 'failed' }, { Id: ID, Warnings: 'x' }]) {
      expect(() => outcome.control(payload(message)), JSON.stringify(message)).toThrow(/the daemon sent a malformed run answer/);
    }
    expect(outcome.exitCode(false)).toBe(125);
  });
});

describe('detachedRunExit', () => {
  it('prints the Id, or refuses an answer without one', () => {
    let printed = '';
    expect(detachedRunExit({ Id: ID, Warnings: [] }, false, (text) => (printed += text))).toBe(0);
    expect(printed).toBe(`${ID}\n`);
    for (const answer of [null, {}, { Id: '' }, { Id: ID, StartError: {} }]) {
      expect(() => detachedRunExit(answer as never, false, (text) => (printed += text)), JSON.stringify(answer)).toThrow(/malformed run answer/);
    }
    expect(printed).toBe(`${ID}\n`);
  });
});
