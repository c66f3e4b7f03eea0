/** What the image store keeps: image records and leases, and the checks applied to them. */
import { CError } from '@c/errors';
import { isDigest, parseDigest, validateDescriptor, type Descriptor } from '@c/image';

export interface ImageRecord {
  /** The full normalized reference: `docker.io/library/busybox:latest` or `name@sha256:…`. */
  name: string;
  /** The platform manifest this name resolves to locally. */
  target: Descriptor;
  /** The index (manifest list) the target was picked from, when it came from one. */
  indexDigest?: string;
  /** The image config's digest: Docker's image ID. Recorded so IDs resolve without reading blobs. */
  configDigest?: string;
  createdAt: string;
  updatedAt: string;
}

/** The fields a caller supplies to `put`; timestamps are kept or set by the store. */
export interface NewImageRecord {
  name: string;
  target: Descriptor;
  indexDigest?: string;
  configDigest?: string;
  /** Overrides the creation time (e.g. `c load` keeps the original); default: kept or now. */
  createdAt?: string;
}

/** A claim on blobs by an operation in flight (a pull, an import, a build): GC keeps them. */
export interface Lease {
  id: string;
  digests: string[];
  createdAt: string;
  /** After this instant the lease no longer protects anything. */
  expiresAt: string;
  /** When set, the lease also ends when this process is gone (a killed pull pins nothing). */
  pid?: number;
  /** The kernel start time of `pid`, so a new process reusing the pid does not keep the lease alive. */
  pidStartTime?: string;
}

const NAME_MAX = 1024;
const LEASE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export function checkImageName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > NAME_MAX || /[\s\u0000-\u001f]/.test(name)) {
    throw new CError('INVALID_ARGUMENT', `invalid image name ${JSON.stringify(String(name).slice(0, 140))}`, {
      hint: 'store the full normalized reference, e.g. docker.io/library/busybox:latest',
      details: { name },
    });
  }
  return name;
}

export function checkNewRecord(input: NewImageRecord): NewImageRecord {
  checkImageName(input.name);
  const target = validateDescriptor(input.target, 'target');
  const checked: NewImageRecord = { name: input.name, target };
  if (input.indexDigest !== undefined) checked.indexDigest = parseDigestString(input.indexDigest, 'indexDigest');
  if (input.configDigest !== undefined) checked.configDigest = parseDigestString(input.configDigest, 'configDigest');
  if (input.createdAt !== undefined) checked.createdAt = checkTimestamp(input.createdAt, 'createdAt');
  return checked;
}

export function checkLeaseId(id: unknown): string {
  if (typeof id !== 'string' || !LEASE_ID_RE.test(id)) {
    throw new CError('INVALID_ARGUMENT', `invalid lease id ${JSON.stringify(String(id).slice(0, 140))}`, {
      hint: 'use letters, digits, "_", ".", ":" or "-" (at most 128 characters), e.g. pull-<random>',
      details: { id },
    });
  }
  return id;
}

export function checkLeaseDigests(digests: readonly string[]): string[] {
  return digests.map((digest, i) => parseDigestString(digest, `digests[${i}]`));
}

function parseDigestString(value: string, field: string): string {
  if (typeof value !== 'string' || !isDigest(value)) {
    // parseDigest throws the precise error (malformed vs unsupported); the fallback covers non-strings.
    if (typeof value === 'string') parseDigest(value);
    throw new CError('INVALID_ARGUMENT', `${field} is not a digest`, { details: { field } });
  }
  return value;
}

function checkTimestamp(value: string, field: string): string {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    throw new CError('INVALID_ARGUMENT', `${field} "${String(value)}" is not an ISO 8601 timestamp`, {
      details: { field },
    });
  }
  return new Date(value).toISOString();
}

/** The image ID Docker shows: the config digest, or the manifest digest when the config is unknown. */
export function imageIdOf(record: ImageRecord): string {
  return record.configDigest ?? record.target.digest;
}
