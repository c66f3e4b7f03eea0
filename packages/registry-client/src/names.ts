/** How references and digests are shown in messages: the short forms people type. */
import type { Digest, Reference } from './image-compat';

/** `busybox:nope`, `ghcr.io/org/app@sha256:…` (Docker Hub's registry and library/ prefix are left out). */
export function familiarName(ref: Reference): string {
  let name = ref.repository;
  if (ref.registry === 'docker.io') {
    if (name.startsWith('library/')) name = name.slice('library/'.length);
  } else {
    name = `${ref.registry}/${name}`;
  }
  if (ref.tag) name += `:${ref.tag}`;
  if (ref.digest) name += `@${ref.digest}`;
  return name;
}

/** The first 12 hex digits: the id docker shows in progress lines. */
export function shortDigest(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}
