/** The small record kept next to an ingest's data, so a resumed or listed ingest knows what it expects. */
import { readJsonFile, writeFileAtomic } from '../util/atomic';
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

export async function writeIngestMeta(path: string, meta: IngestMeta): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(meta)}\n`);
}
