#!/usr/bin/env bash
# bench/daemon-pool.sh: the daemon's warm init pool (decision 0013). Two c-daemons on private roots, one with
# --init-pool 0 and one with --init-pool 2; `c run --rm --network none busybox true` through the CLI against each,
# alternately (and against dockerd when DOCKERD=1 and it comes up), medians and ratios; then the daemon's own steps
# (create, start, exit→wait, remove) through the Engine API with bench/daemon-steps.mjs.
#
#   RUNS=20 bench/daemon-pool.sh        # build first: pnpm --filter @c/runtime --filter @c/daemon --filter @c/cli build
#
# Everything lives under $BENCH_DIR and is removed at exit; only processes this script started are stopped.
# NODE_EXTRA_CA_CERTS is dropped for every Node process here (it triples a Node start-up on this VM).
set -euo pipefail
unset NODE_EXTRA_CA_CERTS

RUNS=${RUNS:-20}
STEP_RUNS=${STEP_RUNS:-$RUNS}
POOL=${POOL:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
DAEMON_JS=${DAEMON_JS:-$REPO/apps/daemon/dist/c-daemon.js}
CLI_JS=${CLI_JS:-$REPO/apps/cli/dist/c.cjs}
DOCKER=${DOCKER:-/usr/local/bin/docker}
BENCH_DIR=${BENCH_DIR:-/tmp/c-bench-daemon-pool}

for f in "$DAEMON_JS" "$CLI_JS"; do
  [ -f "$f" ] || { echo "bench/daemon-pool.sh: $f is missing; build @c/daemon and @c/cli first" >&2; exit 1; }
done

PIDS=()
DOCKERD_PID=
cleanup() {
  for pid in "${PIDS[@]}" $DOCKERD_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
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
for applet in sh true; do ln -s busybox "$BENCH_DIR/rootfs/bin/$applet"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$BENCH_DIR/rootfs/etc/passwd"
tar --numeric-owner -C "$BENCH_DIR/rootfs" -cf "$BENCH_DIR/rootfs.tar" .

start_daemon() { # NAME POOL
  node "$DAEMON_JS" -H "unix://$BENCH_DIR/$1.sock" --root "$BENCH_DIR/$1-root" --init-pool "$2" 2>"$BENCH_DIR/$1.log" &
  PIDS+=($!)
  for _ in $(seq 150); do curl -sf --unix-socket "$BENCH_DIR/$1.sock" http://c/_ping >/dev/null 2>&1 && break; sleep 0.1; done
  node "$CLI_JS" -H "unix://$BENCH_DIR/$1.sock" import "$BENCH_DIR/rootfs.tar" bench-busybox >/dev/null
}
start_daemon cold 0
start_daemon warm "$POOL"

DOCKER_OK=
if [ "${DOCKERD:-0}" = 1 ] && command -v dockerd >/dev/null && [ -x "$DOCKER" ]; then
  echo '{}' >"$BENCH_DIR/dockerd.json"
  dockerd --config-file "$BENCH_DIR/dockerd.json" --iptables=false --ip-masq=false --ip-forward=false --bridge=none \
    -H "unix://$BENCH_DIR/docker.sock" --data-root "$BENCH_DIR/docker" --exec-root "$BENCH_DIR/docker-exec" \
    --pidfile "$BENCH_DIR/docker.pid" >"$BENCH_DIR/dockerd.log" 2>&1 </dev/null &
  DOCKERD_PID=$!
  for _ in $(seq 100); do "$DOCKER" -H "unix://$BENCH_DIR/docker.sock" version >/dev/null 2>&1 && break; sleep 0.2; done
  "$DOCKER" -H "unix://$BENCH_DIR/docker.sock" import --change 'CMD ["sh"]' "$BENCH_DIR/rootfs.tar" bench-busybox >/dev/null 2>&1 && DOCKER_OK=1
fi

ms_of() { # run a command, print its wall time in ms
  local t0=$EPOCHREALTIME
  "$@" >/dev/null
  local t1=$EPOCHREALTIME
  echo "$t0 $t1" | awk '{printf "%.1f\n", ($2 - $1) * 1000}'
}
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

run_c() { node "$CLI_JS" -H "unix://$BENCH_DIR/$1.sock" run --rm --network none bench-busybox true; }
run_docker() { "$DOCKER" -H "unix://$BENCH_DIR/docker.sock" run --rm --network none bench-busybox true; }

# --- what an idle pooled init holds ---------------------------------------------------------------------------------
WARM_PID=${PIDS[1]}
for _ in $(seq 100); do
  inits=$(for p in $(pgrep -P "$WARM_PID" || true); do grep -q c-runtime-init "/proc/$p/cmdline" 2>/dev/null && echo "$p"; done)
  [ "$(echo "$inits" | grep -c .)" -ge "$POOL" ] && break
  sleep 0.1
done
for p in $inits; do
  echo "idle pooled init $p: $(awk '/^Rss:/{r=$2} /^Pss:/{p=$2} END {printf "RSS %d KiB, PSS %d KiB", r, p}' "/proc/$p/smaps_rollup")"
done

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for side in cold warm; do run_c "$side" >/dev/null; done # warm-up
[ -n "$DOCKER_OK" ] && run_docker >/dev/null
: >"$BENCH_DIR/cold.ms"
: >"$BENCH_DIR/warm.ms"
: >"$BENCH_DIR/docker.ms"
for i in $(seq "$RUNS"); do
  # Alternate the order each round; pause so the pool refills as it would between interactive runs.
  if [ $((i % 2)) = 0 ]; then order="cold warm"; else order="warm cold"; fi
  for side in $order; do
    ms_of run_c "$side" >>"$BENCH_DIR/$side.ms"
    sleep 0.2
  done
  [ -n "$DOCKER_OK" ] && ms_of run_docker >>"$BENCH_DIR/docker.ms"
done
COLD=$(median "$BENCH_DIR/cold.ms")
WARM=$(median "$BENCH_DIR/warm.ms")
echo "c run --rm --network none busybox true, $RUNS alternated runs each (wall, median):"
echo "  --init-pool 0:     ${COLD} ms"
echo "  --init-pool $POOL:     ${WARM} ms   (warm/cold $(awk -v a="$WARM" -v b="$COLD" 'BEGIN {printf "%.2f", a / b}'))"
if [ -n "$DOCKER_OK" ]; then
  DOCKER_MS=$(median "$BENCH_DIR/docker.ms")
  echo "  dockerd (docker):  ${DOCKER_MS} ms   (c pool/docker $(awk -v a="$WARM" -v b="$DOCKER_MS" 'BEGIN {printf "%.2f", a / b}'))"
fi
echo "load average after the CLI runs: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "the daemon's steps through the Engine API ($STEP_RUNS alternated rounds):"
node "$HERE/daemon-steps.mjs" "$STEP_RUNS" bench-busybox "pool-0=$BENCH_DIR/cold.sock" "pool-$POOL=$BENCH_DIR/warm.sock"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
