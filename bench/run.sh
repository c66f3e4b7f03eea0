#!/usr/bin/env bash
# bench/run.sh: the daemon issue's benchmark. Side by side on one busybox image (imported into each engine):
#   1. start latency, run alternately: `c run --rm --network none IMAGE true` (c's CLI → c-daemon with its default
#      warm pool), the docker CLI against c-daemon (the same daemon without c's Node CLI), `docker run --rm IMAGE true`
#      against Debian's dockerd 20.10 started as the anchors start it (--bridge=none: no network), and
#      `podman run --rm --network none` (crun, inside a private mount namespace that hides the cgroup2 mount, as the
#      anchors run it). Medians and the ratios c / the others.
#   2. 20 detached `sleep 30` containers started at once (in parallel) by each engine's CLI: the time until all 20
#      CLIs have returned, median of REPS; and the PSS c-daemon grows by per running container (c has no
#      per-container monitor process).
#
#   ROUNDS=20 REPS=3 bench/run.sh      # as root; build first: pnpm turbo run build
#
# Everything lives under $BENCH_DIR and is removed at exit.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-20}
REPS=${REPS:-3}
N=${N:-20}
POOL=${POOL:-}
DOCKER=${DOCKER:-/usr/local/bin/docker}
bench_init bench/run.sh "${BENCH_DIR:-/tmp/c-bench-run}"
trap bench_cleanup EXIT
bench_busybox_tar

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_c_daemon c ${POOL:+--init-pool "$POOL"}
C="$BENCH_C -H unix://$BENCH_DIR/c.sock"
$C import "$BENCH_DIR/rootfs.tar" bench-busybox >/dev/null
CMDS=("c run --rm=$C run --rm --network none bench-busybox true" "docker CLI → c-daemon=$DOCKER -H unix://$BENCH_DIR/c.sock run --rm --network none bench-busybox true")

D=
if bench_dockerd; then
  D="$DOCKER -H unix://$BENCH_DIR/docker.sock"
  $D import "$BENCH_DIR/rootfs.tar" bench-busybox >/dev/null
  CMDS+=("docker run --rm (dockerd)=$D run --rm bench-busybox true")
else
  echo "dockerd: not installed or not starting; skipped (anchors: 160 ms)"
fi

if bench_podman "$BENCH_DIR/rootfs.tar" bench-busybox; then
  CMDS+=("podman run --rm --network none=$BENCH_PODMAN run --rm --network none --runtime crun bench-busybox true")
fi

echo "--- memory per running container (c) ---"
# First, on a warmed-up daemon (its code compiled by a few runs) whose heap has not been churned by the benchmarks
# below: V8's heap swings by megabytes after bursts, more than the few tens of KiB a container costs.
DAEMON_PID=${BENCH_PIDS[0]}
for _ in 1 2 3 4 5; do $C run --rm --network none bench-busybox true >/dev/null; done
sleep 2
before=$(bench_pss "$DAEMON_PID")
for i in $(seq "$N"); do $C run -d --network none --name "bench-$i" bench-busybox sleep 30 >/dev/null; done
sleep 2
after=$(bench_pss "$DAEMON_PID")
echo "c-daemon PSS added per container: $(( (after - before) / N )) KiB (daemon ${before} -> ${after} KiB; c has no per-container process)"
$C rm -f $(seq -f 'bench-%g' "$N") >/dev/null

echo "--- start latency, alternately ($ROUNDS rounds) ---"
node "$BENCH_REPO/bench/alternate.mjs" "$ROUNDS" 3 "${CMDS[@]}"

echo "--- $N detached sleep 30 started in parallel (median of $REPS) ---"
parallel_start() { # CLI-COMMAND-PREFIX CLEANUP-COMMAND → prints ms
  local best=() start end
  for _ in $(seq "$REPS"); do
    start=$(date +%s%N)
    for _ in $(seq "$N"); do eval "$1 run -d --network none bench-busybox sleep 30" >/dev/null & done
    wait
    end=$(date +%s%N)
    best+=($(( (end - start) / 1000000 )))
    eval "$2" >/dev/null 2>&1 || true
  done
  printf '%s\n' "${best[@]}" | sort -n | sed -n "$(( (REPS + 1) / 2 ))p"
}
C_PAR=$(parallel_start "$C" "$C ps -aq | xargs -r $C rm -f")
echo "c       $N x c run -d: ${C_PAR} ms"
if [ -n "$D" ]; then
  D_PAR=$(parallel_start "$D" "$D ps -aq | xargs -r $D rm -f")
  echo "docker  $N x docker run -d: ${D_PAR} ms   ratio c/docker $(node -e "console.log(($C_PAR/$D_PAR).toFixed(2))")"
fi
if [ -n "${BENCH_PODMAN:-}" ]; then
  P_PAR=$(parallel_start "$BENCH_PODMAN" "$BENCH_PODMAN rm -af -t 0")
  echo "podman  $N x podman run -d: ${P_PAR} ms   ratio c/podman $(node -e "console.log(($C_PAR/$P_PAR).toFixed(2))")"
fi

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
