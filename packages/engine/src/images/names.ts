/**
 * Names as the user types them and as the store keeps them. The store keys records by the full normalized
 * reference (`docker.io/library/busybox:latest`, or `…/busybox@sha256:…` when pulled by digest, where docker
 * keeps no tag); the user sees docker's familiar form (`busybox:latest`).
 */
import { dockerReference, familiarRepository, formatReference, parseReference, withDefaultTag, type Reference } from '@c/image';

export { familiarRepository };

/** Parses a user-given image reference and adds `:latest` when it has neither tag nor digest. */
export function normalizeReference(input: string): Reference {
  return withDefaultTag(parseReference(input));
}

/** The store key for a reference (digest wins: `name:tag@digest` is kept as `name@digest`). */
export function recordName(ref: Reference): string {
  return formatReference(dockerReference(ref));
}

/** Splits a record name into docker's REPOSITORY and TAG columns; digest-only names have no tag (`<none>`). */
export function repositoryAndTag(name: string): { repository: string; tag: string | undefined; reference: Reference } {
  const reference = parseReference(name);
  return { repository: familiarRepository(reference), tag: reference.digest ? undefined : reference.tag, reference };
}

/** `busybox:latest` for a tagged record name, undefined for a digest-only one. */
export function familiarTag(name: string): string | undefined {
  const { repository, tag } = repositoryAndTag(name);
  return tag === undefined ? undefined : `${repository}:${tag}`;
}

const ID_PATTERN = /^(?:sha256:)?([0-9a-f]{4,64})$/;

/** The hex part when `input` looks like an image id or id prefix (`3f57d9401f8d`, `sha256:3f57…`). */
export function idPrefix(input: string): string | undefined {
  return ID_PATTERN.exec(input)?.[1];
}
