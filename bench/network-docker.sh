#!/usr/bin/env bash
# bench/network-docker.sh: throughput through c's bridge against docker's own (dockerd 20.10 with its default bridge,
# docker0, iptables NAT), side by side. Each engine runs alone in a private network + mount namespace (`unshare -n
# -m`), so docker's bridge and iptables rules never touch the host and the two engines' rules never meet; both see
# the same kernel. Per round, each engine (alternately) moves BYTES through busybox nc:
#   published port: the namespace's "host" side → 127.0.0.1:published port → container (c: DNAT via route_localnet;
#   docker: its default userland proxy);
#   container → container: a container on the default bridge sending to another's address.
#
#   RUNS=3 BYTES=300000000 bench/network-docker.sh      # as root; dockerd (Debian docker.io) and a built c
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
BYTES=${BYTES:-300000000}
DOCKER=${DOCKER:-/usr/local/bin/docker}

if [ "${1:-}" != --inside ]; then
  command -v dockerd >/dev/null || { echo "bench/network-docker.sh: dockerd is not installed (apt-get install docker.io)" >&2; exit 1; }
  median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
  declare -A pub cc
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $((BYTES / 1000000)) MB per transfer, $RUNS rounds, engines alternately"
  for _ in $(seq "$RUNS"); do
    for engine in c docker; do
      read -r p q < <(RUNS=$RUNS BYTES=$BYTES unshare -n -m --propagation private bash "$HERE/network-docker.sh" --inside "$engine" | tail -1)
      pub[$engine]="${pub[$engine]:-} $p"
      cc[$engine]="${cc[$engine]:-} $q"
    done
  done
  # shellcheck disable=SC2086
  echo "published port (host side → 127.0.0.1:port → container): c $(median ${pub[c]}) MB/s, docker $(median ${pub[docker]}) MB/s  (c:${pub[c]}; docker:${pub[docker]})"
  # shellcheck disable=SC2086
  echo "container → container on the default bridge:          c $(median ${cc[c]}) MB/s, docker $(median ${cc[docker]}) MB/s  (c:${cc[c]}; docker:${cc[docker]})"
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi

# --- inside a private network + mount namespace: one engine, one published-port and one container→container run ---
ENGINE=$2
# This namespace's own sysfs (/sys/class/net must list its interfaces, as `ip netns exec` arranges), keeping the
# host's cgroup hierarchies mounted under it.
CGROUPS=$(mktemp -d /tmp/c-bench-cgroups.XXXXXX)
mount --rbind /sys/fs/cgroup "$CGROUPS"
mount -t sysfs sysfs /sys
mount --move "$CGROUPS" /sys/fs/cgroup
rmdir "$CGROUPS"
source "$HERE/lib.sh"
bench_init bench/network-docker.sh "/tmp/c-bench-network-docker-$ENGINE"
# c's bridge and nft table die with this namespace; its record of them in /run/c is on the host's file system.
TAG=$(printf '%s' "$BENCH_DIR/c-root" | sha256sum | cut -c1-6)
trap 'bench_cleanup; rm -f "/run/c/network-roots/c_$TAG.json"' EXIT
ip link set lo up
bench_busybox_tar
for applet in nc head date; do ln -sf busybox "$BENCH_DIR/rootfs/bin/$applet"; done
tar --numeric-owner -C "$BENCH_DIR/rootfs" -cf "$BENCH_DIR/rootfs.tar" .

if [ "$ENGINE" = docker ]; then
  bench_dockerd_bridge() {
    echo '{}' >"$BENCH_DIR/dockerd.json"
    dockerd --config-file "$BENCH_DIR/dockerd.json" -H "unix://$BENCH_DIR/docker.sock" --data-root "$BENCH_DIR/docker" \
      --exec-root "$BENCH_DIR/docker-exec" --pidfile "$BENCH_DIR/docker.pid" >"$BENCH_DIR/dockerd.log" 2>&1 </dev/null &
    BENCH_PIDS+=($!)
    BENCH_SOCKETS+=("$BENCH_DIR/docker.sock")
    for _ in $(seq 100); do curl -sf --unix-socket "$BENCH_DIR/docker.sock" http://d/_ping >/dev/null 2>&1 && return 0; sleep 0.2; done
    return 1
  }
  bench_dockerd_bridge
  CLI="$DOCKER -H unix://$BENCH_DIR/docker.sock"
else
  bench_c_daemon c
  CLI="$DOCKER -H unix://$BENCH_DIR/c.sock"
fi
$CLI import "$BENCH_DIR/rootfs.tar" bench-busybox >/dev/null
NC="$BENCH_DIR/rootfs/bin/busybox nc"

listener() { # [PUBLISH] → container id; waits until it listens
  local id
  # nc's stdin stays open (busybox nc hangs up when its stdin ends); it exits when the sender closes.
  id=$($CLI run -d ${1:+-p "$1:8080"} bench-busybox sh -c 'sleep 3600 | nc -l -p 8080 >/dev/null')
  sleep 0.5
  echo "$id"
}

# Published port.
id=$(listener 18080)
t0=$(date +%s%N)
head -c "$BYTES" /dev/zero | $NC 127.0.0.1 18080 || { echo "bench/network-docker.sh: nc to the published port failed (${PIPESTATUS[*]})" >&2; exit 1; }
t1=$(date +%s%N)
$CLI rm -f "$id" >/dev/null
pub=$(node -e "console.log(($BYTES / 1e6 / (($t1 - $t0) / 1e9)).toFixed(1))")

# Container to container (timed from outside, so it includes one container start: ~0.1 s for either engine).
id=$(listener)
ip=$($CLI inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$id")
t0=$(date +%s%N)
$CLI run --rm bench-busybox sh -c "head -c $BYTES /dev/zero | nc $ip 8080"
t1=$(date +%s%N)
$CLI rm -f "$id" >/dev/null
cc=$(node -e "console.log(($BYTES / 1e6 / (($t1 - $t0) / 1e9)).toFixed(1))")
echo "$pub $cc"
