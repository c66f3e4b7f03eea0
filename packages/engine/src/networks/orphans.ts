/**
 * Kernel objects of deleted engine roots. Every root other than the default one gets its own bridge and nft table
 * (`kernelNamesFor`); a test or a development daemon that deletes its root without `NetworkService.destroy()`
 * would leave them behind, each holding a subnet. So every engine start records its root in a host-wide registry
 * under /run (cleared at boot, like the kernel state it describes) and removes the objects of roots that no longer
 * exist.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT_REGISTRY = '/run/c/network-roots';

export interface RootEntry {
  root: string;
  defaultBridge: string;
  bridgePrefix: string;
  nftTable: string;
}

/** Records a root's kernel names; returns the entry's path. */
export function registerRoot(entry: RootEntry, registry = ROOT_REGISTRY): string {
  mkdirSync(registry, { recursive: true, mode: 0o700 });
  const path = join(registry, `${entry.nftTable}.json`);
  writeFileSync(path, JSON.stringify(entry));
  return path;
}

function parseEntry(text: string): RootEntry | undefined {
  try {
    const value = JSON.parse(text) as Partial<RootEntry>;
    const ok = [value.root, value.defaultBridge, value.bridgePrefix, value.nftTable].every((v) => typeof v === 'string' && v !== '');
    // Names are used as command arguments: only what kernelNamesFor produces.
    if (!ok || !/^c_[0-9a-f]{6}$/.test(value.nftTable!) || !/^c[0-9a-f]{6}$/.test(value.defaultBridge!) || !/^cb[0-9a-f]{6}-$/.test(value.bridgePrefix!)) return undefined;
    return value as RootEntry;
  } catch {
    return undefined;
  }
}

/** Removes the bridges and nft table of every registered root whose directory is gone; returns those roots. */
export function collectOrphans(registry = ROOT_REGISTRY, sysClassNet = '/sys/class/net'): string[] {
  if (!existsSync(registry)) return [];
  const collected: string[] = [];
  for (const file of readdirSync(registry)) {
    const path = join(registry, file);
    let entry: RootEntry | undefined;
    try {
      entry = parseEntry(readFileSync(path, 'utf8'));
    } catch {
      continue;
    }
    if (entry === undefined) {
      rmSync(path, { force: true });
      continue;
    }
    if (existsSync(entry.root)) continue;
    const links = existsSync(sysClassNet) ? readdirSync(sysClassNet) : [];
    for (const link of links) {
      if (link === entry.defaultBridge || link.startsWith(entry.bridgePrefix)) spawnSync('ip', ['link', 'del', link], { stdio: 'ignore' });
    }
    spawnSync('nft', ['delete', 'table', 'ip', entry.nftTable], { stdio: 'ignore' });
    rmSync(path, { force: true });
    collected.push(entry.root);
  }
  return collected;
}
