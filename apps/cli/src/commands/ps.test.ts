import { describe, expect, it } from 'vitest';
import type { ContainerSummary } from '@c/api';
import { PS_SIZE_TABLE, parseFilterFlags, psRow, renderPs } from './ps';

const now = Date.parse('2026-01-01T12:00:00Z');
const summary: ContainerSummary = {
  Id: 'f'.repeat(64), Names: ['/web'], Image: 'busybox', ImageID: 'sha256:x', Command: 'sh -c while true; do sleep 1; done',
  Created: now / 1000 - 300, Ports: [], Labels: { a: 'b' }, State: 'running', Status: 'Up 5 minutes',
  HostConfig: { NetworkMode: 'none' }, NetworkSettings: { Networks: {} }, Mounts: [],
};

describe('c ps', () => {
  it('prints docker columns with truncated ids and commands', () => {
    const text = renderPs([psRow(summary, false, now)], { quiet: false, format: undefined });
    const [header, row] = text.split('\n');
    expect(header).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
    expect(row).toMatch(/^ffffffffffff\s+busybox\s+"sh -c while true; d…"\s+5 minutes ago\s+Up 5 minutes\s+web$/);
  });
  it('prints full ids with --no-trunc and only ids with -q', () => {
    expect(renderPs([psRow(summary, true, now)], { quiet: true, format: undefined })).toBe(`${'f'.repeat(64)}\n`);
  });
  it('applies --format', () => {
    expect(renderPs([psRow(summary, false, now)], { quiet: false, format: '{{.Names}} {{.State}} {{.Labels}}' })).toBe('web running a=b\n');
  });
  it('parses repeated filters', () => {
    expect(parseFilterFlags(['status=exited', 'name=a', 'name=b'])).toEqual({ status: ['exited'], name: ['a', 'b'] });
    expect(() => parseFilterFlags(['nope'])).toThrow(/bad format of filter/);
  });
  it('shows docker’s size column with -s: the writable layer and the virtual total', () => {
    const row = psRow({ ...summary, SizeRw: 1_048_576, SizeRootFs: 2_360_000 }, false);
    expect(row.Size).toBe('1.05MB (virtual 2.36MB)');
    expect(psRow(summary, false).Size).toBe('');
    expect(renderPs([row], { quiet: false, format: PS_SIZE_TABLE }).split('\n')[0]).toMatch(/NAMES\s+SIZE$/);
  });
});
