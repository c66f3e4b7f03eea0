/**
 * Container records on disk: `<containers>/<id>/config.v2.json`, replaced atomically (write + fsync + rename),
 * so a crash leaves the old or the new record, never a torn one.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '@c/layers';
import type { ContainerRecord } from './types';

export const RECORD_FILE = 'config.v2.json';

export class ContainerRecordStore {
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true, mode: 0o710 });
  }

  dir(id: string): string {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`not a container id: ${id}`);
    return join(this.root, id);
  }

  /**
   * `durable: false` skips the fsync (still atomic: write + rename) for states a power loss makes moot anyway
   * (running: nothing runs after a reboot, and restore reconciles records with what runs).
   */
  save(record: ContainerRecord, options: { durable?: boolean } = {}): void {
    const dir = this.dir(record.Id);
    mkdirSync(dir, { recursive: true, mode: 0o710 });
    const path = join(dir, RECORD_FILE);
    if (options.durable === false) {
      writeFileSync(`${path}.tmp`, JSON.stringify(record));
      renameSync(`${path}.tmp`, path);
    } else {
      writeFileAtomicSync(path, JSON.stringify(record));
    }
  }

  /** Every readable record; unreadable ones are reported through `onError` and left on disk. */
  loadAll(onError: (id: string, error: unknown) => void = () => {}): ContainerRecord[] {
    if (!existsSync(this.root)) return [];
    const out: ContainerRecord[] = [];
    for (const id of readdirSync(this.root)) {
      if (!/^[0-9a-f]{64}$/.test(id)) continue;
      const path = join(this.root, id, RECORD_FILE);
      if (!existsSync(path)) continue;
      try {
        out.push(JSON.parse(readFileSync(path, 'utf8')) as ContainerRecord);
      } catch (error) {
        onError(id, error);
      }
    }
    return out;
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }
}
