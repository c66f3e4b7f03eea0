/**
 * What an engine's networking leaves on the host for a store root (its default bridge, user-network bridges, nft
 * table and orphan-registry entry) until some later engine start cleans orphans: the e2e helpers that stop a
 * daemon remove it at once, so no test leaves a bridge or table behind.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { kernelNamesFor } from '@c/engine';

export function removeEngineNetwork(root: string): void {
  const { defaultBridge, nftTable, bridgePrefix } = kernelNamesFor(root);
  for (const link of readdirSync('/sys/class/net')) {
    if (link === defaultBridge || link.startsWith(bridgePrefix)) spawnSync('ip', ['link', 'del', link], { stdio: 'ignore' });
  }
  spawnSync('nft', ['delete', 'table', 'ip', nftTable], { stdio: 'ignore' });
  rmSync(`/run/c/network-roots/${nftTable}.json`, { force: true });
}
