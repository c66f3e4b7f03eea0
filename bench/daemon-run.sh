#!/usr/bin/env bash
# bench/daemon-run.sh: `docker run --rm IMAGE true` through c-daemon, against dockerd 20.10 (started like the
# anchors: --iptables=false --bridge=none, private data/exec roots) and podman (--network none, private roots) when
# they can run here; medians and the ratio. Then 20 detached `sleep 30` containers through c-daemon: the time to
# start them all and the PSS per container of everything c adds (the daemon's growth; c has no per-container
# monitor process).
#
#   RUNS=20 bench/daemon-run.sh       # build the daemon first: pnpm --filter @c/daemon build
#
# Everything lives under $BENCH_DIR and is removed at exit; only processes this script started are stopped.
set -euo pipefail

RUNS=${RUNS:-20}
N=${N:-20}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
DAEMON_JS=${DAEMON_JS:-$REPO/apps/daemon/dist/c-daemon.js}
DOCKER=${DOCKER:-/usr/local/bin/docker}
BENCH_DIR=${BENCH_DIR:-/tmp/c-bench-daemon-run}

for tool in hyperfine node tar "$DOCKER"; do
  command -v "$tool" >/dev/null || { echo "bench/daemon-run.sh: $tool is not installed" >&2; exit 1; }
done
[ -f "$DAEMON_JS" ] || { echo "bench/daemon-run.sh: $DAEMON_JS is missing; run: pnpm --filter @c/daemon build" >&2; exit 1; }

DAEMON_PID=
DOCKERD_PID=
cleanup() {
  [ -n "$DAEMON_PID" ] && { "$DOCKER" -H "unix://$BENCH_DIR/c.sock" ps -aq 2>/dev/null | xargs -r "$DOCKER" -H "unix://$BENCH_DIR/c.sock" rm -f >/dev/null 2>&1 || true; }
  [ -n "$DOCKERD_PID" ] && { "$DOCKER" -H "unix://$BENCH_DIR/docker.sock" ps -aq 2>/dev/null | xargs -r "$DOCKER" -H "unix://$BENCH_DIR/docker.sock" rm -f >/dev/null 2>&1 || true; }
  for pid in $DAEMON_PID $DOCKERD_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ -d "$BENCH_DIR" ]; then
    grep " $BENCH_DIR" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$BENCH_DIR"
  fi
}
trap cleanup EXIT
rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/rootfs/bin" "$BENCH_DIR/rootfs/etc"
export DOCKER_CONFIG=$BENCH_DIR/docker-config

# --- busybox root filesystem, imported into each engine as `bench-busybox` ---------------------------------------
cp /bin/busybox "$BENCH_DIR/rootfs/bin/busybox"
for applet in sh true sleep; do ln -s busybox "$BENCH_DIR/rootfs/bin/$applet"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$BENCH_DIR/rootfs/etc/passwd"
tar --numeric-owner -C "$BENCH_DIR/rootfs" -cf "$BENCH_DIR/rootfs.tar" .

median() { # median of hyperfine's JSON export, in ms
  node -e 'const r=require(process.argv[1]).results[0];const t=[...r.times].sort((a,b)=>a-b);const m=t.length%2?t[(t.length-1)/2]:(t[t.length/2-1]+t[t.length/2])/2;console.log((m*1000).toFixed(1))' "$1"
}
pss_kib() { awk '/^Pss:/{print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- c-daemon ------------------------------------------------------------------------------------------------------
node "$DAEMON_JS" -H "unix://$BENCH_DIR/c.sock" --root "$BENCH_DIR/c-root" 2>"$BENCH_DIR/c-daemon.log" &
DAEMON_PID=$!
for _ in $(seq 100); do curl -sf --unix-socket "$BENCH_DIR/c.sock" http://c/_ping >/dev/null 2>&1 && break; sleep 0.1; done
C="$DOCKER -H unix://$BENCH_DIR/c.sock"
$C import --change 'CMD ["sh"]' "$BENCH_DIR/rootfs.tar" bench-busybox >/dev/null
hyperfine -N -w 3 -r "$RUNS" --export-json "$BENCH_DIR/c.json" -n "c-daemon: docker run --rm true" "$C run --rm bench-busybox true" >/dev/null
C_MS=$(median "$BENCH_DIR/c.json")
echo "c-daemon   docker run --rm busybox true: median ${C_MS} ms (${RUNS} runs)"

# --- dockerd 20.10, as the anchors start it ------------------------------------------------------------------------
DOCKER_MS=
if command -v dockerd >/dev/null; then
  echo '{}' >"$BENCH_DIR/dockerd.json"
  dockerd --config-file "$BENCH_DIR/dockerd.json" --iptables=false --ip-masq=false --ip-forward=false --bridge=none \
    -H "unix://$BENCH_DIR/docker.sock" --data-root "$BENCH_DIR/docker" --exec-root "$BENCH_DIR/docker-exec" \
    --pidfile "$BENCH_DIR/docker.pid" >"$BENCH_DIR/dockerd.log" 2>&1 </dev/null &
  DOCKERD_PID=$!
  D="$DOCKER -H unix://$BENCH_DIR/docker.sock"
  for _ in $(seq 100); do $D version >/dev/null 2>&1 && break; sleep 0.2; done
  if $D import --change 'CMD ["sh"]' "$BENCH_DIR/rootfs.tar" bench-busybox >/dev/null 2>&1; then
    hyperfine -N -w 3 -r "$RUNS" --export-json "$BENCH_DIR/docker.json" -n "dockerd: docker run --rm true" "$D run --rm bench-busybox true" >/dev/null
    DOCKER_MS=$(median "$BENCH_DIR/docker.json")
    echo "dockerd    docker run --rm busybox true: median ${DOCKER_MS} ms"
  else
    echo "dockerd    did not come up (see $BENCH_DIR/dockerd.log); skipped"
  fi
else
  echo "dockerd    not installed; skipped (the anchors' figure is 160 ms)"
fi

# --- podman (private roots, no network) ----------------------------------------------------------------------------
PODMAN_MS=
if command -v podman >/dev/null; then
  # Root here lacks CAP_SYS_RESOURCE: cap podman's default rlimits at the hard limits we have (as the anchors do).
  export CONTAINERS_CONF=$BENCH_DIR/containers.conf
  printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' "$(ulimit -Hn)" "$(ulimit -Hn)" "$(ulimit -Hu)" "$(ulimit -Hu)" >"$CONTAINERS_CONF"
  P="podman --root $BENCH_DIR/podman --runroot $BENCH_DIR/podman-run --tmpdir $BENCH_DIR/podman-tmp"
  if $P import --change 'CMD ["sh"]' "$BENCH_DIR/rootfs.tar" bench-busybox >/dev/null 2>&1 &&
    hyperfine -N -w 3 -r "$RUNS" --export-json "$BENCH_DIR/podman.json" -n "podman run --rm --network none true" \
      "$P run --rm --network none bench-busybox true" >/dev/null 2>&1; then
    PODMAN_MS=$(median "$BENCH_DIR/podman.json")
    echo "podman     run --rm --network none busybox true: median ${PODMAN_MS} ms"
  else
    echo "podman     could not run here (crun refuses the hybrid cgroup layout outside the anchors' private namespace); the anchors' figure: 165 ms"
  fi
fi
[ -n "$DOCKER_MS" ] && echo "ratio c/dockerd: $(node -e "console.log(($C_MS/$DOCKER_MS).toFixed(2))")"
[ -n "$PODMAN_MS" ] && echo "ratio c/podman:  $(node -e "console.log(($C_MS/$PODMAN_MS).toFixed(2))")"

# --- 20 detached sleep 30 through c-daemon -------------------------------------------------------------------------
before=$(pss_kib "$DAEMON_PID")
start=$(date +%s%N)
for i in $(seq "$N"); do $C run -d --name "bench-$i" bench-busybox sleep 30 >/dev/null; done
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
sleep 1
after=$(pss_kib "$DAEMON_PID")
payload=0
for i in $(seq "$N"); do
  pid=$($C inspect -f '{{.State.Pid}}' "bench-$i")
  payload=$(( payload + $(pss_kib "$pid") ))
done
echo "c-daemon   $N x run -d sleep 30 (sequential): ${elapsed} ms total, $(( elapsed / N )) ms each"
echo "c-daemon   PSS added per container: $(( (after - before) / N )) KiB (daemon ${before} -> ${after} KiB; no per-container monitor)"
echo "           payload PSS per container (sleep itself, not c's): $(( payload / N )) KiB"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
