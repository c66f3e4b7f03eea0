import { describe, expect, it } from 'vitest';
import { formatTable, humanAge, humanDuration, humanSize, shortId } from './format';

describe('humanSize (docker images: decimal units, 3 significant digits)', () => {
  it.each([
    [0, '0B'],
    [999, '999B'],
    [1000, '1kB'],
    [1234, '1.23kB'],
    [4_261_550, '4.26MB'],
    [107_200_000, '107MB'],
    [999_999, '1MB'],
    [1_500_000_000, '1.5GB'],
  ])('%d bytes → %s', (bytes, text) => {
    expect(humanSize(bytes)).toBe(text);
  });

  it('takes a precision, as progress lines use fewer digits', () => {
    expect(humanSize(1_234_567, 2)).toBe('1.2MB');
  });
});

describe('humanDuration / humanAge (go-units wording)', () => {
  const second = 1000;
  const hour = 3600 * second;
  const day = 24 * hour;
  it.each([
    [500, 'Less than a second'],
    [1 * second, '1 second'],
    [45 * second, '45 seconds'],
    [90 * second, 'About a minute'],
    [5 * 60 * second, '5 minutes'],
    [59 * 60 * second, '59 minutes'],
    [60 * 60 * second, 'About an hour'],
    [2 * hour, '2 hours'],
    [47 * hour, '47 hours'],
    [3 * day, '3 days'],
    [15 * day, '2 weeks'],
    [90 * day, '3 months'],
    [800 * day, '2 years'],
  ])('%d ms → %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it('says "ago" relative to now, and N/A without a time', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(humanAge('2026-01-01T10:00:00Z', now)).toBe('2 hours ago');
    expect(humanAge(undefined, now)).toBe('N/A');
    expect(humanAge('not a date', now)).toBe('N/A');
  });
});

describe('shortId', () => {
  const id = `sha256:${'0123456789ab'.repeat(5)}abcd`;
  it('drops the algorithm and keeps 12 hex digits unless told not to', () => {
    expect(shortId(id)).toBe('0123456789ab');
    expect(shortId(id, true)).toBe(id);
  });
});

describe('formatTable', () => {
  it('aligns columns with 3 spaces of padding and leaves the last column unpadded', () => {
    const text = formatTable(
      ['REPOSITORY', 'TAG', 'SIZE'],
      [
        ['busybox', 'latest', '1.09MB'],
        ['localhost:5000/a', '1', '4kB'],
      ],
    );
    expect(text).toBe(
      'REPOSITORY         TAG      SIZE\n' + 'busybox            latest   1.09MB\n' + 'localhost:5000/a   1        4kB\n',
    );
  });
});
