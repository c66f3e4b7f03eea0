#!/usr/bin/env bash
# bench/parallel-start.sh: issue 5's parallel target alone, alternated. 20 detached `sleep 30` containers started at
# once by each engine's CLI (c through c-daemon, podman with crun as the anchors run it), c and podman taking turns
# burst by burst so that machine load hits both alike; the time until all 20 CLIs have returned, each engine's
# median over REPS bursts, and the ratio c / podman (target ≤ 0.5). bench/run.sh runs the engines one after the
# other; this is the steadier figure on a shared machine.
#
#   REPS=8 bench/parallel-start.sh      # as root; build first: pnpm turbo run build
set -euo pipefail
source "$(dirname "$0")/lib.sh"

REPS=${REPS:-8}
N=${N:-20}
bench_init bench/parallel-start.sh "${BENCH_DIR:-/tmp/c-bench-parallel}"
trap bench_cleanup EXIT
bench_busybox_tar
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_c_daemon c
C="$BENCH_C -H unix://$BENCH_DIR/c.sock"
$C import "$BENCH_DIR/rootfs.tar" bench-busybox >/dev/null
if ! bench_podman "$BENCH_DIR/rootfs.tar" bench-busybox; then
  echo "podman is needed for the comparison" >&2
  exit 1
fi
# A warm daemon, as a user's would be.
for _ in 1 2 3; do $C run --rm --network none bench-busybox true >/dev/null; done

# CLI-PREFIX → prints ms, then removes the containers. Call it in a command substitution: its `wait` then waits for
# this burst's CLIs only, not for the daemons this shell started.
burst() {
  local start end
  start=$(date +%s%N)
  for _ in $(seq "$N"); do eval "$1 run -d --network none bench-busybox sleep 30" >/dev/null & done
  wait
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
  eval "$1 ps -aq | xargs -r $1 rm -f" >/dev/null 2>&1 || true
}
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

c_times=()
podman_times=()
for i in $(seq "$REPS"); do
  c_times+=("$(burst "$C")")
  podman_times+=("$(burst "$BENCH_PODMAN")")
  echo "burst $i: c ${c_times[-1]} ms, podman ${podman_times[-1]} ms"
done
c_median=$(median "${c_times[@]}")
podman_median=$(median "${podman_times[@]}")
echo "median of $REPS: c $c_median ms, podman $podman_median ms, ratio c/podman $(node -e "console.log(($c_median/$podman_median).toFixed(2))")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
