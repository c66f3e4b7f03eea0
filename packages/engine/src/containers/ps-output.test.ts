import { describe, expect, it } from 'vitest';
import { parsePsOutput, psArgv, validatePsArgs } from './ps-output';

describe('docker top through ps', () => {
  it('keeps the container’s pids, the last column takes the rest of the line', () => {
    const output = ['UID          PID    PPID  C STIME TTY          TIME CMD', 'root           1       0  0 10:00 ?        00:00:01 /sbin/init', 'root         42       1  0 10:01 ?        00:00:00 sleep 60 --long arg', 'root         43      42  0 10:01 ?        00:00:00 sh -c x', ''].join('\n');
    expect(parsePsOutput(output, [42, 43])).toEqual({
      Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      Processes: [
        ['root', '42', '1', '0', '10:01', '?', '00:00:00', 'sleep 60 --long arg'],
        ['root', '43', '42', '0', '10:01', '?', '00:00:00', 'sh -c x'],
      ],
    });
  });

  it('custom columns; thread lines (PID -) follow their process; no PID column is an error', () => {
    expect(parsePsOutput('  PID COMMAND\n    7 sleep\n    - -\n    8 other\n    - -\n', [7]).Processes).toEqual([
      ['7', 'sleep'],
      ['-', '-'],
    ]);
    expect(() => parsePsOutput('COMMAND\nsleep\n', [7])).toThrow(/Couldn't find PID field/);
  });

  it('checks and splits ps_args as docker does', () => {
    expect(psArgv('-o  pid,comm')).toEqual(['-o', 'pid,comm']);
    expect(() => validatePsArgs('-o pid=PID,comm')).not.toThrow();
    expect(() => validatePsArgs('-o user=PID,comm')).toThrow(/specifying "user=PID,comm" is not allowed/);
  });
});
