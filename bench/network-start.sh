#!/usr/bin/env bash
# bench/network-start.sh: what the default bridge adds to a container start, end to end through c-daemon:
# `docker run --rm bench-busybox true` (and `c run`) with `--network none` against the default bridge (veth, address, route,
# lease, nft elements, /etc/hosts rewrite, and the disconnect at exit). Medians and the difference.
#
#   RUNS=30 bench/network-start.sh      # as root; build the daemon first: pnpm --filter @c/daemon build
#
# The docker CLI is the client, and the c CLI when built (its Node start-up adds noise to both sides equally).
# Then bench/network-start.mts repeats it inside the engine's process, paired and interleaved (none, bridge, …),
# and times the connect (on the start path) and the disconnect (at exit) themselves.
# Everything lives under $BENCH_DIR; the bridge and nft table of its root are removed at exit.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-30}
REPO=$BENCH_REPO
DOCKER=${DOCKER:-/usr/local/bin/docker}
bench_init bench/network-start.sh "${BENCH_DIR:-/tmp/c-bench-network-start}"
ROOT=$BENCH_DIR/c-root
for tool in ip nft "$DOCKER"; do
  command -v "$tool" >/dev/null || { echo "bench/network-start.sh: $tool is not installed" >&2; exit 1; }
done

# The kernel names @c/engine derives from a root that is not /var/lib/c (kernelNamesFor).
TAG=$(printf '%s' "$ROOT" | sha256sum | cut -c1-6)
cleanup() {
  bench_cleanup
  for link in $(ls /sys/class/net); do
    case "$link" in "c$TAG" | "cb$TAG-"*) ip link del "$link" 2>/dev/null || true ;; esac
  done
  nft delete table ip "c_$TAG" 2>/dev/null || true
  rm -f "/run/c/network-roots/c_$TAG.json"
}
trap cleanup EXIT
bench_busybox_tar

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_c_daemon c
C="$DOCKER -H unix://$BENCH_DIR/c.sock"
$C import --change 'CMD ["sh"]' "$BENCH_DIR/rootfs.tar" bench-busybox >/dev/null

# Interleaved pairs (none, bridge; bridge, none; …) so both see the same load; the docker CLI and, when built, the
# c CLI (apps/cli/dist/c.cjs) as clients.
CLIENTS=("$DOCKER -H unix://$BENCH_DIR/c.sock")
C_CLI=$REPO/apps/cli/dist/c.cjs
[ -f "$C_CLI" ] && CLIENTS+=("node $C_CLI -H unix://$BENCH_DIR/c.sock")
(cd "$REPO/packages/network" && pnpm exec tsx "$REPO/bench/network-start-clients.mts" "$RUNS" bench-busybox "${CLIENTS[@]}")
# Nothing may stay connected once every --rm container is gone (veths go in the background: give them a moment).
sleep 0.5
LEFT=$(ip -o link show master "c$TAG" 2>/dev/null | grep -c . || true)
echo "veths left after the runs: ${LEFT}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "--- in the engine's process (bench/network-start.mts) ---"
(cd "$REPO/packages/network" && RUNS=$RUNS pnpm exec tsx --conditions c-source "$REPO/bench/network-start.mts")
