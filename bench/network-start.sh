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

RUNS=${RUNS:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
DAEMON_JS=${DAEMON_JS:-$REPO/apps/daemon/dist/c-daemon.js}
DOCKER=${DOCKER:-/usr/local/bin/docker}
BENCH_DIR=${BENCH_DIR:-/tmp/c-bench-network-start}
ROOT=$BENCH_DIR/c-root

[ "$(id -u)" = 0 ] || { echo "bench/network-start.sh: run as root" >&2; exit 1; }
for tool in node tar ip nft curl "$DOCKER"; do
  command -v "$tool" >/dev/null || { echo "bench/network-start.sh: $tool is not installed" >&2; exit 1; }
done
[ -f "$DAEMON_JS" ] || { echo "bench/network-start.sh: $DAEMON_JS is missing; run: pnpm --filter @c/daemon build" >&2; exit 1; }

# The kernel names @c/engine derives from a root that is not /var/lib/c (kernelNamesFor).
TAG=$(printf '%s' "$ROOT" | sha256sum | cut -c1-6)
DAEMON_PID=
cleanup() {
  if [ -n "$DAEMON_PID" ]; then
    "$DOCKER" -H "unix://$BENCH_DIR/c.sock" ps -aq 2>/dev/null | xargs -r "$DOCKER" -H "unix://$BENCH_DIR/c.sock" rm -f >/dev/null 2>&1 || true
    kill "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
  fi
  for link in $(ls /sys/class/net); do
    case "$link" in "c$TAG" | "cb$TAG-"*) ip link del "$link" 2>/dev/null || true ;; esac
  done
  nft delete table ip "c_$TAG" 2>/dev/null || true
  rm -f "/run/c/network-roots/c_$TAG.json"
  if [ -d "$BENCH_DIR" ]; then
    grep " $BENCH_DIR" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$BENCH_DIR"
  fi
}
trap cleanup EXIT
rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/rootfs/bin" "$BENCH_DIR/rootfs/etc"
export DOCKER_CONFIG=$BENCH_DIR/docker-config
cp /bin/busybox "$BENCH_DIR/rootfs/bin/busybox"
for applet in sh true sleep; do ln -s busybox "$BENCH_DIR/rootfs/bin/$applet"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$BENCH_DIR/rootfs/etc/passwd"
tar --numeric-owner -C "$BENCH_DIR/rootfs" -cf "$BENCH_DIR/rootfs.tar" .

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
node "$DAEMON_JS" -H "unix://$BENCH_DIR/c.sock" --root "$ROOT" 2>"$BENCH_DIR/c-daemon.log" &
DAEMON_PID=$!
for _ in $(seq 100); do curl -sf --unix-socket "$BENCH_DIR/c.sock" http://c/_ping >/dev/null 2>&1 && break; sleep 0.1; done
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
