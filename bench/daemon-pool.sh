#!/usr/bin/env bash
# bench/daemon-pool.sh: the daemon's warm init pool (decision 0013). Two c-daemons on private roots, one with
# --init-pool 0 and one with --init-pool 2; `c run --rm --network none busybox true` through the CLI against each,
# alternately (and against dockerd when DOCKERD=1 and it comes up), medians and ratios; then the daemon's own steps
# (create, start, exit→wait, remove) through the Engine API with bench/daemon-steps.mjs.
#
#   RUNS=20 bench/daemon-pool.sh        # build first: pnpm --filter @c/runtime --filter @c/daemon --filter @c/cli build
#
# Everything lives under $BENCH_DIR and is removed at exit; only processes this script started are stopped.
# NODE_EXTRA_CA_CERTS is dropped for every Node process here (it triples a Node start-up on this VM; bench/lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-20}
STEP_RUNS=${STEP_RUNS:-$RUNS}
POOL=${POOL:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
CLI_JS=$BENCH_CLI_JS
DOCKER=${DOCKER:-/usr/local/bin/docker}
bench_init bench/daemon-pool.sh "${BENCH_DIR:-/tmp/c-bench-daemon-pool}"
trap bench_cleanup EXIT
bench_busybox_tar

start_daemon() { # NAME POOL
  bench_c_daemon "$1" --init-pool "$2"
  node "$CLI_JS" -H "unix://$BENCH_DIR/$1.sock" import "$BENCH_DIR/rootfs.tar" bench-busybox >/dev/null
}
start_daemon cold 0
start_daemon warm "$POOL"
PIDS=("${BENCH_PIDS[@]}")

DOCKER_OK=
if [ "${DOCKERD:-0}" = 1 ] && [ -x "$DOCKER" ] && bench_dockerd; then
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
