import { describe, expect, it } from 'vitest';
import { ProgressPrinter, progressBar, progressLine } from './progress';

const event = (status: string, current = 0, total = 4_300_000) => ({ id: '3f57d9401f8d', status, current, total });

describe('progress lines', () => {
  it('draws docker-style bars', () => {
    expect(progressBar(0, 100)).toBe(`[>${' '.repeat(49)}]  0B/100B`);
    expect(progressBar(1_200_000, 4_300_000)).toBe(`[${'='.repeat(13)}>${' '.repeat(36)}]  1.2MB/4.3MB`);
    expect(progressBar(4_300_000, 4_300_000)).toBe(`[${'='.repeat(50)}]  4.3MB/4.3MB`);
  });

  it('words statuses the way docker does', () => {
    expect(progressLine(event('done'), 'pull')).toBe('3f57d9401f8d: Download complete');
    expect(progressLine(event('exists'), 'pull')).toBe('3f57d9401f8d: Already exists');
    expect(progressLine(event('exists'), 'push')).toBe('3f57d9401f8d: Layer already exists');
    expect(progressLine(event('downloading', 1_200_000), 'pull')).toMatch(/^3f57d9401f8d: Downloading {2}\[=+>/);
  });
});

describe('ProgressPrinter', () => {
  it('prints one plain line per status change when not on a terminal', () => {
    let text = '';
    const printer = new ProgressPrinter({ write: (t: string) => (text += t) }, 'pull', false);
    printer.update(event('waiting'));
    for (let i = 1; i <= 100; i++) printer.update(event('downloading', i * 43_000));
    printer.update(event('done', 4_300_000));
    printer.finish();
    expect(text.split('\n').filter(Boolean)).toEqual([
      '3f57d9401f8d: Waiting',
      expect.stringMatching(/^3f57d9401f8d: Downloading {2}\[/),
      '3f57d9401f8d: Download complete',
    ]);
  });

  it('redraws each blob on its own line on a terminal, throttled', () => {
    let text = '';
    let now = 0;
    const printer = new ProgressPrinter({ write: (t: string) => (text += t) }, 'pull', true, () => now);
    printer.update({ ...event('waiting'), id: 'aaaaaaaaaaaa' });
    printer.update({ ...event('waiting'), id: 'bbbbbbbbbbbb' });
    expect(text).toBe('aaaaaaaaaaaa: Waiting\nbbbbbbbbbbbb: Waiting\n');
    text = '';
    printer.update({ ...event('downloading', 10), id: 'aaaaaaaaaaaa' });
    // The first line is two lines above the cursor.
    expect(text.startsWith('\x1b[2A\r\x1b[2Kaaaaaaaaaaaa: Downloading')).toBe(true);
    expect(text.endsWith('\r\x1b[2B')).toBe(true);
    text = '';
    printer.update({ ...event('downloading', 20), id: 'aaaaaaaaaaaa' });
    expect(text).toBe(''); // within 100 ms of the last redraw
    now = 150;
    printer.update({ ...event('downloading', 30), id: 'aaaaaaaaaaaa' });
    expect(text).toContain('aaaaaaaaaaaa: Downloading');
  });
});
