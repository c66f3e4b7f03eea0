import { describe, expect, it } from 'vitest';
import { parseFilters } from '@c/api';
import { EventBus } from '@c/engine';
import { eventMatches } from './events';

describe('eventMatches', () => {
  const bus = new EventBus();
  const start = bus.emit('container', 'start', 'a'.repeat(64), { name: 'web', image: 'busybox', tier: 'front' });
  const exec = bus.emit('container', 'exec_start: sh -c true', 'a'.repeat(64), { name: 'web', image: 'busybox' });
  const pull = bus.emit('image', 'pull', 'busybox:latest', {});
  const match = (event: typeof start, filters: Record<string, string[]>) => eventMatches(event, parseFilters(JSON.stringify(filters)));

  it('ORs values of one key and ANDs keys', () => {
    expect(match(start, {})).toBe(true);
    expect(match(start, { type: ['image', 'container'] })).toBe(true);
    expect(match(pull, { type: ['container'] })).toBe(false);
    expect(match(start, { type: ['container'], event: ['die'] })).toBe(false);
    expect(match(start, { event: ['die', 'start'], container: ['web'] })).toBe(true);
  });

  it('matches containers by name or id prefix, exec actions by their name, labels by key or key=value', () => {
    expect(match(start, { container: ['aaaa'] })).toBe(true);
    expect(match(start, { container: ['other'] })).toBe(false);
    expect(match(exec, { event: ['exec_start'] })).toBe(true);
    expect(match(start, { label: ['tier'] })).toBe(true);
    expect(match(start, { label: ['tier=back'] })).toBe(false);
    expect(match(start, { image: ['busybox'] })).toBe(true);
  });
});
