/** The small record kept next to an ingest's data, so a resumed or listed ingest knows what it expects. */
import { writeFile } from 'node:fs/promises';
import { readJsonFile } from '../util/atomic';
import { isBlobDigest } from './digest';

export interface IngestMeta {
  /** The digest being written; absent for an import, whose digest is known only at the end. */
  digest?: string;
  /** The size the writer declared; absent when unknown. */
  expectedSize?: number;
  /** When the first attempt began (ISO 8601). */
  startedAt: string;
}

export async function readIngestMeta(path: string): Promise<IngestMeta | undefined> {
  let raw: unknown;
  try {
    raw = await readJsonFile<unknown>(path, undefined);
  } catch {
    return undefined; // torn or garbage: the ingest is treated as unknown and restarted
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const record = raw as Record<string, unknown>;
  if (typeof record.startedAt !== 'string') return undefined;
  const meta: IngestMeta = { startedAt: record.startedAt };
  if (isBlobDigest(record.digest)) meta.digest = record.digest;
  if (typeof record.expectedSize === 'number' && Number.isSafeInteger(record.expectedSize) && record.expectedSize >= 0) {
    meta.expectedSize = record.expectedSize;
  }
  return meta;
}

/**
 * Written once, into a fresh ingest directory, without fsync: the record only lets a later attempt trust the
 * partial data. Lost or torn after a crash, it reads as unknown and the write restarts from zero, which is safe;
 * making it durable cost two fsyncs per blob.
 */
export async function writeIngestMeta(path: string, meta: IngestMeta): Promise<void> {
  await writeFile(path, `${JSON.stringify(meta)}\n`, { mode: 0o644 });
}
