import { describe, expect, it } from 'vitest';
import { ProgressPrinter, messageLine } from './progress';

const layer = (status: string, progress?: string) => ({ id: '3f57d9401f8d', status, ...(progress ? { progress } : {}) });

describe('messageLine', () => {
  it('prefixes the id and appends the bar', () => {
    expect(messageLine(layer('Download complete'))).toBe('3f57d9401f8d: Download complete');
    expect(messageLine(layer('Downloading', '[==>  ]  1MB/4MB'))).toBe('3f57d9401f8d: Downloading  [==>  ]  1MB/4MB');
    expect(messageLine({ status: 'Digest: sha256:ab' })).toBe('Digest: sha256:ab');
  });
});

describe('ProgressPrinter', () => {
  it('prints one plain line per status change when not on a terminal', () => {
    let text = '';
    const printer = new ProgressPrinter({ write: (t: string) => (text += t) }, false);
    printer.update({ status: 'Pulling from library/busybox', id: 'latest' });
    printer.update(layer('Waiting'));
    for (let i = 1; i <= 50; i++) printer.update(layer('Downloading', `${i}kB`));
    printer.update(layer('Pull complete'));
    printer.update({ status: 'Digest: sha256:ab' });
    printer.finish();
    expect(text.split('\n').filter(Boolean)).toEqual([
      'latest: Pulling from library/busybox',
      '3f57d9401f8d: Waiting',
      '3f57d9401f8d: Downloading  1kB',
      '3f57d9401f8d: Pull complete',
      'Digest: sha256:ab',
    ]);
  });

  it('redraws a layer line in place on a terminal, throttled', () => {
    let text = '';
    let now = 0;
    const printer = new ProgressPrinter({ write: (t: string) => (text += t) }, true, () => now);
    printer.update(layer('Waiting'));
    printer.update({ id: 'aaaaaaaaaaaa', status: 'Waiting' });
    printer.update(layer('Downloading', '1kB'));
    now = 10;
    printer.update(layer('Downloading', '2kB'));
    expect(text).toContain('\x1b[2A\r\x1b[2K3f57d9401f8d: Downloading  1kB');
    expect(text).not.toContain('2kB');
    printer.finish();
    expect(text).toContain('3f57d9401f8d: Downloading  2kB');
  });
});
