import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ipam } from './ipam';

describe('Ipam', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'c-ipam-'));
    path = join(dir, 'net.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('hands out the lowest free address, never network, gateway or broadcast', async () => {
    const ipam = await Ipam.open(path, '10.0.0.0/29', '10.0.0.1');
    const got = [];
    for (let i = 0; i < 5; i++) got.push(await ipam.allocate(`ep${i}`));
    expect(got).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    await expect(ipam.allocate('ep5')).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    await ipam.release('ep1');
    expect(await ipam.allocate('ep6')).toBe('10.0.0.3');
  });

  it('works around a gateway that is not the first address', async () => {
    const ipam = await Ipam.open(path, '10.0.0.0/29', '10.0.0.6');
    expect(await ipam.allocate('a')).toBe('10.0.0.1');
    expect(ipam.list()).toEqual([['10.0.0.1', 'a']]);
  });

  it('honours a preferred address and refuses taken, reserved and foreign ones', async () => {
    const ipam = await Ipam.open(path, '10.0.0.0/24', '10.0.0.1');
    expect(await ipam.allocate('a', '10.0.0.77')).toBe('10.0.0.77');
    await expect(ipam.allocate('b', '10.0.0.77')).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(ipam.allocate('b', '10.0.0.1')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(ipam.allocate('b', '10.0.0.255')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(ipam.allocate('b', '10.0.1.5')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('persists leases: a reopened pool (daemon restart) keeps them and continues after them', async () => {
    const first = await Ipam.open(path, '10.0.0.0/24', '10.0.0.1');
    await first.allocate('a');
    await first.allocate('b');
    await first.release('a');
    const onDisk = JSON.parse(readFileSync(path, 'utf8'));
    expect(onDisk.leases).toEqual({ '10.0.0.3': 'b' });
    const second = await Ipam.open(path, '10.0.0.0/24', '10.0.0.1');
    expect(second.list()).toEqual([['10.0.0.3', 'b']]);
    expect(await second.allocate('c')).toBe('10.0.0.2');
    expect(await second.allocate('d')).toBe('10.0.0.4');
  });

  it('release is idempotent and returns what it freed', async () => {
    const ipam = await Ipam.open(path, '10.0.0.0/24', '10.0.0.1');
    await ipam.allocate('a');
    expect(await ipam.release('a')).toEqual(['10.0.0.2']);
    expect(await ipam.release('a')).toEqual([]);
  });

  it('concurrent allocations never hand out one address twice', async () => {
    const ipam = await Ipam.open(path, '10.0.0.0/24', '10.0.0.1');
    const got = await Promise.all(Array.from({ length: 50 }, (_, i) => ipam.allocate(`ep${i}`)));
    expect(new Set(got).size).toBe(50);
    const reopened = await Ipam.open(path, '10.0.0.0/24', '10.0.0.1');
    expect(reopened.list()).toHaveLength(50);
  });

  it('refuses a lease file written for another subnet, and a gateway outside the subnet', async () => {
    writeFileSync(path, JSON.stringify({ version: 1, subnet: '10.9.0.0/24', gateway: '10.9.0.1', leases: {} }));
    await expect(Ipam.open(path, '10.0.0.0/24', '10.0.0.1')).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(Ipam.open(join(dir, 'other.json'), '10.0.0.0/24', '10.1.0.1')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('leaves no temp files behind', async () => {
    const ipam = await Ipam.open(path, '10.0.0.0/24', '10.0.0.1');
    for (let i = 0; i < 10; i++) await ipam.allocate(`e${i}`);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir)).toEqual(['net.json']);
  });
});
