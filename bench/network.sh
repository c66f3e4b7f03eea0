#!/usr/bin/env bash
# bench/network.sh: what @c/network adds to a container start, and what it costs in throughput.
#
#   bench/network.sh                    # as root; CYCLES=50 BYTES=300000000 RUNS=3 by default
#   CYCLES=200 BYTES=1000000000 bench/network.sh
#   BACKEND=iproute2 BYTES=0 bench/network.sh   # veths and port maps through `ip`/`nft` processes (for comparison)
#
# Uses `ip netns add` namespaces as containers (no runtime needed), a bridge `cbench0` on 10.233.x.0/24 and the
# nftables table `c_bench`; all of it is removed at exit. Traffic stays on loopback, the bridge and the namespaces.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
[ "$(id -u)" = 0 ] || { echo "bench/network.sh: run as root" >&2; exit 1; }
for tool in ip nft nsenter busybox ss; do
  command -v "$tool" >/dev/null || { echo "bench/network.sh: $tool is not installed" >&2; exit 1; }
done
cd "$REPO/packages/network"
exec pnpm exec tsx --conditions c-source "$REPO/bench/network.mts"
