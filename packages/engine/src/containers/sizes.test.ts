import { describe, expect, it } from 'vitest';
import { ContainerSizer } from './sizes';

describe('container sizes', () => {
  it('SizeRw is the writable layer, SizeRootFs adds every layer of the chain (each measured once)', async () => {
    const usage: Record<string, number> = { rw: 100, top: 20, base: 3000 };
    const parents: Record<string, string | undefined> = { top: 'base', base: undefined };
    const measured: string[] = [];
    const sizer = new ContainerSizer({
      usage: async (key) => {
        measured.push(key);
        if (usage[key] === undefined) throw new Error('no such snapshot');
        return { size: usage[key]!, inodes: 1 };
      },
      stat: async (key) => ({ name: key, kind: 'committed', ...(parents[key] ? { parent: parents[key] } : {}), labels: {}, created: '', updated: '' }),
    });
    expect(await sizer.sizes('rw', 'top')).toEqual({ SizeRw: 100, SizeRootFs: 3120 });
    usage.rw = 150;
    expect(await sizer.sizes('rw', 'top')).toEqual({ SizeRw: 150, SizeRootFs: 3170 });
    expect(measured.filter((k) => k === 'base')).toHaveLength(1);
    expect(await sizer.sizes('gone', undefined)).toEqual({ SizeRw: 0, SizeRootFs: 0 });
  });
});
