/**
 * Untagged images (docker's `<none>:<none>`: a commit without a name, an archive entry without RepoTags). The image
 * store keys records by reference, so an untagged image is recorded under a reserved repository,
 * `c-untagged/<image id hex>@<manifest digest>`; listings and inspect show such a record with no tag and no repo
 * digest, and drop it once the image has a real name.
 */
import { normalizeReference, recordName } from './names';

/** The reserved repository (familiar form) of untagged images. */
export const UNTAGGED_REPOSITORY = 'c-untagged';

/** The record name of an untagged image. */
export function untaggedRecordName(configDigest: string, manifestDigest: string): string {
  return recordName(normalizeReference(`${UNTAGGED_REPOSITORY}/${configDigest.slice(configDigest.indexOf(':') + 1)}@${manifestDigest}`));
}

/** True for the familiar repository (`c-untagged/<hex>`) or a repo digest (`c-untagged/<hex>@…`) of an untagged record. */
export function isUntaggedRepository(repository: string): boolean {
  return repository.startsWith(`${UNTAGGED_REPOSITORY}/`) || repository.startsWith(`docker.io/${UNTAGGED_REPOSITORY}/`);
}
