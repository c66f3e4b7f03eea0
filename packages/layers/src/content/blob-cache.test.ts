import { describe, expect, it } from 'vitest';
import { BlobCache } from './blob-cache';

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

describe('BlobCache', () => {
  it('serves a copy of what it holds while the version matches, and drops it when not', () => {
    const cache = new BlobCache(100, 50);
    cache.set('a', 'v1', bytes(10));
    const hit = cache.get('a', 'v1')!;
    expect(hit).toEqual(bytes(10));
    hit[0] = 9; // a caller writing into its copy changes nothing for the next one
    expect(cache.get('a', 'v1')).toEqual(bytes(10));
    expect(cache.get('a', 'v2')).toBeUndefined();
    expect(cache.get('a', 'v1')).toBeUndefined();
  });

  it('keeps at most maxBytes, evicting the least recently used, and never takes a blob over maxEntryBytes', () => {
    const cache = new BlobCache(30, 20);
    cache.set('big', 'v', bytes(21));
    expect(cache.size).toBe(0);
    cache.set('a', 'v', bytes(10));
    cache.set('b', 'v', bytes(10));
    cache.set('c', 'v', bytes(10));
    expect(cache.get('a', 'v')).toBeDefined(); // a is now the most recent
    cache.set('d', 'v', bytes(10)); // evicts b
    expect(cache.get('b', 'v')).toBeUndefined();
    expect([cache.get('a', 'v'), cache.get('c', 'v'), cache.get('d', 'v')].every((hit) => hit !== undefined)).toBe(true);
    cache.delete('a');
    expect(cache.size).toBe(2);
  });

  it('a cache of 0 bytes keeps nothing', () => {
    const cache = new BlobCache(0, 1024);
    cache.set('a', 'v', bytes(1));
    expect(cache.get('a', 'v')).toBeUndefined();
  });
});
