/**
 * OCI whiteouts and their overlayfs form. In a layer, `.wh.<name>` deletes <name> from the layers below and
 * `.wh..wh..opq` hides everything below in its directory. overlayfs says the same with a 0/0 character
 * device and the `trusted.overlay.opaque=y` xattr.
 */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
/** Other `.wh..wh.` names are aufs bookkeeping (hard-link dirs): never content. */
export const AUFS_META_PREFIX = '.wh..wh.';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';
/** overlayfs keeps its own state in this namespace; a layer must never set these. */
export const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';
/** The same state when overlayfs is mounted with `userxattr` (unprivileged overlay). */
export const OVERLAY_USER_XATTR_PREFIX = 'user.overlay.';

/** True for an xattr overlayfs reads as its own state (whiteouts, opaque dirs, redirects, metacopy). */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith(OVERLAY_XATTR_PREFIX) || name.startsWith(OVERLAY_USER_XATTR_PREFIX);
}

export type Whiteout =
  | { kind: 'delete'; name: string }
  | { kind: 'opaque' }
  | { kind: 'ignore' };

/** Classifies a base name: a whiteout of `name`, an opaque marker, aufs metadata, or undefined for content. */
export function parseWhiteout(base: string): Whiteout | undefined {
  if (!base.startsWith(WHITEOUT_PREFIX)) return undefined;
  if (base === OPAQUE_MARKER) return { kind: 'opaque' };
  if (base.startsWith(AUFS_META_PREFIX)) return { kind: 'ignore' };
  return { kind: 'delete', name: base.slice(WHITEOUT_PREFIX.length) };
}

/** The layer name that deletes `name`. */
export const whiteoutName = (name: string) => `${WHITEOUT_PREFIX}${name}`;

/** True for overlayfs's whiteout: a character device with device number 0/0. */
export function isOverlayWhiteout(stat: { isCharacterDevice(): boolean; rdev: number | bigint }): boolean {
  return stat.isCharacterDevice() && Number(stat.rdev) === 0;
}
