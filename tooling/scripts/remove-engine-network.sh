#!/usr/bin/env bash
# remove-engine-network.sh ROOT: what c's networking keeps on the host for a store root (its default bridge, the
# bridges of its user networks, its nft table and its orphan-registry entry), removed now, for scripts that delete
# that root (the daemon keeps them across restarts, as docker0 stays; an engine start would collect them later).
# Names as @c/engine's kernelNamesFor derives them for a root other than /var/lib/c.
set -uo pipefail
root=${1:?usage: remove-engine-network.sh ROOT}
tag=$(printf '%s' "$root" | sha256sum | cut -c1-6)
for link in /sys/class/net/*; do
  name=${link##*/}
  if [ "$name" = "c$tag" ] || [[ $name == "cb$tag-"* ]]; then ip link del "$name" 2>/dev/null; fi
done
nft delete table ip "c_$tag" 2>/dev/null
rm -f "/run/c/network-roots/c_$tag.json"
exit 0
