import { describe, expect, it } from 'vitest';
import type { BlobIngest, BlobSink } from '@c/image';
import { leasingSink } from './leasing-sink';

function recordingSink(log: string[]): BlobSink {
  return {
    has: async (digest) => {
      log.push(`has ${digest}`);
      return false;
    },
    ingest: async (digest) => {
      log.push(`ingest ${digest}`);
      return {} as BlobIngest;
    },
  };
}

describe('leasingSink', () => {
  it('leases a digest before the store is asked about it', async () => {
    const log: string[] = [];
    const sink = leasingSink(recordingSink(log), async (digests) => void log.push(`lease ${digests.join(',')}`));
    await sink.has('sha256:a');
    await sink.ingest('sha256:a', 1);
    expect(log).toEqual(['lease sha256:a', 'has sha256:a', 'ingest sha256:a']);
  });

  it('leases digests touched together in one update', async () => {
    const log: string[] = [];
    const sink = leasingSink(recordingSink(log), async (digests) => void log.push(`lease ${digests.join(',')}`));
    await Promise.all([sink.has('sha256:a'), sink.has('sha256:b'), sink.has('sha256:c')]);
    await sink.has('sha256:d');
    expect(log.filter((line) => line.startsWith('lease'))).toEqual(['lease sha256:a,sha256:b,sha256:c', 'lease sha256:d']);
  });

  it('fails the store access when the lease cannot be taken', async () => {
    const log: string[] = [];
    const sink = leasingSink(recordingSink(log), async () => {
      throw new Error('store locked');
    });
    await expect(sink.has('sha256:a')).rejects.toThrow('store locked');
    expect(log).toEqual([]);
  });
});
