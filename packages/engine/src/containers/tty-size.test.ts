import { describe, expect, it } from 'vitest';
import { checkTtySize, setTtySize } from './tty-size';

describe('tty sizes', () => {
  it('passes rows and columns to TIOCSWINSZ', () => {
    const calls: unknown[] = [];
    setTtySize(7, { height: 40, width: 120 }, { setWinsize: (fd, size) => calls.push([fd, size]) });
    expect(calls).toEqual([[7, { rows: 40, cols: 120 }]]);
  });

  it('refuses sizes a terminal cannot have', () => {
    expect(() => checkTtySize({ height: -1, width: 80 })).toThrow(/invalid terminal height -1/);
    expect(() => checkTtySize({ height: 24, width: 70000 })).toThrow(/invalid terminal width 70000/);
    expect(() => checkTtySize({ height: 24.5, width: 80 })).toThrow(/height/);
  });
});
