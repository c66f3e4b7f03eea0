import { rmSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic';
import type { EndpointRecord, NetworkRecord } from './types';

const ID = /^[0-9a-f]{64}$/;

/** Networks and endpoints as one JSON file each under the state dir (atomic replace on every change; networks fsynced). */
export class StateStore {
  readonly networksDir: string;
  readonly endpointsDir: string;
  readonly ipamDir: string;

  constructor(readonly root: string) {
    this.networksDir = join(root, 'networks');
    this.endpointsDir = join(root, 'endpoints');
    this.ipamDir = join(root, 'ipam');
  }

  async init(): Promise<void> {
    await Promise.all([this.networksDir, this.endpointsDir, this.ipamDir].map((dir) => mkdir(dir, { recursive: true, mode: 0o700 })));
  }

  ipamPath(networkId: string): string {
    return join(this.ipamDir, `${networkId}.json`);
  }

  saveNetwork(record: NetworkRecord): Promise<void> {
    return writeFileAtomic(join(this.networksDir, `${record.id}.json`), JSON.stringify(record, null, 2));
  }

  async deleteNetwork(id: string): Promise<void> {
    await rm(join(this.networksDir, `${id}.json`), { force: true });
    await rm(this.ipamPath(id), { force: true });
  }

  /** Not fsynced: an endpoint dies with the host, and the container start path must not wait for the disk. */
  saveEndpoint(record: EndpointRecord): Promise<void> {
    return writeFileAtomic(join(this.endpointsDir, `${record.id}.json`), JSON.stringify(record), { durable: false });
  }

  /** Synchronous, like saveEndpoint's write: one unlink on the exit path. */
  async deleteEndpoint(id: string): Promise<void> {
    rmSync(join(this.endpointsDir, `${id}.json`), { force: true });
  }

  loadNetworks(): Promise<NetworkRecord[]> {
    return this.loadAll<NetworkRecord>(this.networksDir);
  }

  /**
   * Endpoint files that do not parse (emptied by a host crash before the unsynced write reached the disk) are
   * removed: their containers died with the host.
   */
  async loadEndpoints(): Promise<EndpointRecord[]> {
    const records: EndpointRecord[] = [];
    for (const name of await this.jsonFiles(this.endpointsDir)) {
      const path = join(this.endpointsDir, name);
      try {
        records.push(JSON.parse(await readFile(path, 'utf8')) as EndpointRecord);
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        await rm(path, { force: true });
      }
    }
    return records;
  }

  private async loadAll<T>(dir: string): Promise<T[]> {
    const names = await this.jsonFiles(dir);
    return Promise.all(names.map(async (name) => JSON.parse(await readFile(join(dir, name), 'utf8')) as T));
  }

  private async jsonFiles(dir: string): Promise<string[]> {
    return (await readdir(dir)).filter((name) => name.endsWith('.json') && ID.test(name.slice(0, -5)));
  }
}
