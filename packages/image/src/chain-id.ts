/**
 * ChainIDs (OCI image spec, "Layer ChainID"): the identity of a layer stack, so identical stacks share one
 * snapshot. ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
 */
import { CError } from '@c/errors';
import type { Digest } from './content';
import { describeDigestProblem, digestProblem, sha256Digest } from './digest';

/** The ChainID of every prefix of `diffIds` (bottom layer first); the last one names the whole stack. */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const result: Digest[] = [];
  diffIds.forEach((diffId, i) => {
    const problem = digestProblem(diffId);
    if (problem !== undefined) {
      throw new CError('INVALID_ARGUMENT', `invalid DiffID at rootfs.diff_ids[${i}] "${diffId}": it ${describeDigestProblem(problem)}`, {
        hint: 'DiffIDs are the sha256 digests of the uncompressed layer tars',
        details: { index: i, diffId },
      });
    }
    const previous = result[i - 1];
    result.push(previous === undefined ? diffId : sha256Digest(`${previous} ${diffId}`));
  });
  return result;
}

/** The ChainID of the whole stack, or `undefined` for an image without layers. */
export function chainId(diffIds: readonly Digest[]): Digest | undefined {
  return chainIds(diffIds).at(-1);
}
