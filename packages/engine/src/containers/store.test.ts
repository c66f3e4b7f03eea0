import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerRecordStore, RECORD_FILE } from './store';
import type { ContainerRecord } from './types';

const ID = 'a'.repeat(64);
/** The store only serialises records: a stand-in with the fields the tests look at. */
const record = (status: string, id = ID) => ({ Id: id, State: { Status: status } }) as unknown as ContainerRecord;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'c-records-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const onDisk = (id = ID) => (JSON.parse(readFileSync(join(root, id, RECORD_FILE), 'utf8')) as ContainerRecord).State.Status;
const entries = (id = ID) => readdirSync(join(root, id));

describe('ContainerRecordStore', () => {
  it('a durable write is in place when it resolves, with no temp file left', async () => {
    const store = new ContainerRecordStore(root);
    await store.write(record('created'));
    expect(onDisk()).toBe('created');
    expect(entries()).toEqual([RECORD_FILE]);
  });

  it('writeNew puts a new record in place when it returns and resolves once it is fsynced; a failure throws at once', async () => {
    const store = new ContainerRecordStore(root);
    const durable = store.writeNew(record('created'));
    expect(onDisk()).toBe('created');
    expect(entries()).toEqual([RECORD_FILE]);
    await durable;
    expect(onDisk()).toBe('created');
    // A later write replaces it as usual.
    await store.write(record('running'));
    expect(onDisk()).toBe('running');

    const other = 'b'.repeat(64);
    writeFileSync(join(root, other), 'not a directory');
    expect(() => store.writeNew(record('created', other))).toThrow();
    await store.settled();
  });

  it('abandoned lists the container directories without a record that are older than the grace period', async () => {
    const store = new ContainerRecordStore(root);
    await store.write(record('created'));
    const [old, young] = ['b'.repeat(64), 'c'.repeat(64)];
    for (const id of [old, young, 'not-an-id']) mkdirSync(join(root, id));
    const now = Date.now();
    utimesSync(join(root, old), new Date(now - 120_000), new Date(now - 120_000));
    expect(store.abandoned(60_000, now)).toEqual([old]);
    expect(store.abandoned(0, now + 1000).sort()).toEqual([old, young]);
  });

  it('an empty record (a first write a power loss cut before its fsync) is no record: not loaded, abandoned once old', async () => {
    const store = new ContainerRecordStore(root);
    await store.write(record('created'));
    const torn = 'd'.repeat(64);
    mkdirSync(join(root, torn));
    writeFileSync(join(root, torn, RECORD_FILE), '');
    const now = Date.now();
    utimesSync(join(root, torn), new Date(now - 120_000), new Date(now - 120_000));
    const errors: string[] = [];
    expect(store.loadAll((id) => errors.push(id)).map((r) => r.State.Status)).toEqual(['created']);
    expect(errors).toEqual([]);
    expect(store.abandoned(60_000, now)).toEqual([torn]);
    // A record that is not empty but unreadable stays the container's: reported, never swept.
    writeFileSync(join(root, torn, RECORD_FILE), '{"Id":');
    expect(store.loadAll((id) => errors.push(id))).toHaveLength(1);
    expect(errors).toEqual([torn]);
    expect(store.abandoned(60_000, now)).toEqual([]);
  });

  it('a non-durable write is in place when it returns', () => {
    const store = new ContainerRecordStore(root);
    void store.write(record('running'), { durable: false });
    expect(onDisk()).toBe('running');
  });

  it('the newest write wins over an older durable one still waiting for its fsync', async () => {
    const store = new ContainerRecordStore(root);
    const older = store.write(record('created'));
    void store.write(record('running'), { durable: false });
    await older;
    expect(onDisk()).toBe('running');
    const first = store.write(record('exited'));
    const second = store.write(record('restarting'));
    await Promise.all([first, second]);
    await store.settled();
    expect(onDisk()).toBe('restarting');
    expect(entries()).toEqual([RECORD_FILE]);
  });

  it('the record is serialised when written: later changes to the object belong to later writes', async () => {
    const store = new ContainerRecordStore(root);
    const live = record('created');
    const written = store.write(live);
    live.State.Status = 'running';
    await written;
    expect(onDisk()).toBe('created');
  });

  it('remove takes the directory away at once, deletes it in the background, and a pending write does not bring it back', async () => {
    const store = new ContainerRecordStore(root);
    await store.write(record('created'));
    writeFileSync(join(root, ID, 'hosts'), '127.0.0.1 localhost\n');
    const pending = store.write(record('exited'));
    store.remove(ID);
    expect(existsSync(join(root, ID))).toBe(false);
    await pending;
    await store.settled();
    expect(readdirSync(root)).toEqual([]);
  });

  it('loadAll skips and finishes the deletions a crash interrupted', async () => {
    const store = new ContainerRecordStore(root);
    await store.write(record('exited'));
    const other = 'b'.repeat(64);
    mkdirSync(join(root, `.removed-${other}-7`, 'bundle'), { recursive: true });
    writeFileSync(join(root, `.removed-${other}-7`, RECORD_FILE), JSON.stringify(record('exited', other)));
    const reopened = new ContainerRecordStore(root);
    expect(reopened.loadAll().map((r) => r.Id)).toEqual([ID]);
    await reopened.settled();
    expect(readdirSync(root)).toEqual([ID]);
  });

  it('a failed background write is reported, a failed awaited one rejects', async () => {
    const failures: string[] = [];
    const store = new ContainerRecordStore(root, (id) => failures.push(id));
    // The record's directory is a file: nothing can be written under it.
    writeFileSync(join(root, ID), 'not a directory');
    await expect(store.write(record('created'))).rejects.toThrow(/ENOTDIR/);
    store.save(record('exited'));
    await store.settled();
    await new Promise((resolve) => setImmediate(resolve));
    expect(failures).toEqual([ID]);
  });
});
