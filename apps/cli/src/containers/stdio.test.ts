import { describe, expect, it } from 'vitest';
import { DetachKeyScanner } from './stdio';

describe('detach keys', () => {
  it('detaches on ctrl-p ctrl-q, also split across chunks', () => {
    const scanner = new DetachKeyScanner();
    expect(scanner.push(Buffer.from('ab\x10'))).toEqual({ forward: Buffer.from('ab'), detach: false });
    expect(scanner.push(Buffer.from('\x11'))).toEqual({ forward: Buffer.alloc(0), detach: true });
  });
  it('forwards a ctrl-p that is not followed by ctrl-q', () => {
    const scanner = new DetachKeyScanner();
    expect(scanner.push(Buffer.from('\x10x\x10\x10'))).toEqual({ forward: Buffer.from('\x10x\x10'), detach: false });
    expect(scanner.push(Buffer.from('y'))).toEqual({ forward: Buffer.from('\x10y'), detach: false });
  });
});
