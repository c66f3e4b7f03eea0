# bench/lib.sh: what the daemon benchmarks share (source it; it sets nothing until called).
#   bench_init NAME DIR       root check, a fresh DIR, NODE_EXTRA_CA_CERTS dropped (it triples a Node start-up here)
#   bench_busybox_tar         DIR/rootfs.tar: static busybox with sh/true/sleep applets and a passwd
#   bench_c_daemon NAME ARGS  starts c-daemon on DIR/NAME.sock with root DIR/NAME-root (ARGS appended); waits for it
#   bench_dockerd             starts Debian's dockerd 20.10 the way the anchors do (no iptables, no bridge); 1 if absent
#   bench_podman TAR IMAGE    sets BENCH_PODMAN (a command prefix) with IMAGE imported from TAR; 1 if podman cannot run
#   bench_median FILE         the median of a hyperfine JSON export, in ms
#   bench_pss PID             the PSS of a process, in KiB
#   bench_cleanup             stops what bench_* started, unmounts and removes DIR (install it as the EXIT trap)
# Only processes these functions started are stopped.

BENCH_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DAEMON_JS=${DAEMON_JS:-$BENCH_REPO/apps/daemon/dist/c-daemon.js}
BENCH_CLI_JS=${CLI_JS:-$BENCH_REPO/apps/cli/dist/c.cjs}
# How a user runs `c`: the executable itself, so its shebang's Node flags apply (decision 0017), not `node c.cjs`.
BENCH_C=${C_BIN:-$BENCH_CLI_JS}
BENCH_PIDS=()
BENCH_SOCKETS=()
BENCH_C_ROOTS=()

bench_init() { # NAME DIR
  BENCH_NAME=$1
  BENCH_DIR=$2
  [ "$(id -u)" = 0 ] || { echo "$BENCH_NAME: run as root" >&2; exit 1; }
  unset NODE_EXTRA_CA_CERTS
  for f in "$BENCH_DAEMON_JS" "$BENCH_CLI_JS"; do
    [ -f "$f" ] || { echo "$BENCH_NAME: $f is missing; build first: pnpm turbo run build" >&2; exit 1; }
  done
  for tool in hyperfine node curl tar; do
    command -v "$tool" >/dev/null || { echo "$BENCH_NAME: $tool is not installed" >&2; exit 1; }
  done
  rm -rf "$BENCH_DIR"
  mkdir -p "$BENCH_DIR"
  # A private client config (podman reads it too, and wants the file to exist).
  export DOCKER_CONFIG=$BENCH_DIR/docker-config
  mkdir -p "$DOCKER_CONFIG"
  echo '{}' >"$DOCKER_CONFIG/config.json"
}

bench_busybox_tar() {
  local rootfs=$BENCH_DIR/rootfs
  mkdir -p "$rootfs/bin" "$rootfs/etc"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in sh true sleep; do ln -s busybox "$rootfs/bin/$applet"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  tar --numeric-owner -C "$rootfs" -cf "$BENCH_DIR/rootfs.tar" .
}

bench_c_daemon() { # NAME [ARGS...]
  local name=$1
  shift
  node "$BENCH_DAEMON_JS" -H "unix://$BENCH_DIR/$name.sock" --root "$BENCH_DIR/$name-root" "$@" 2>"$BENCH_DIR/$name.log" &
  BENCH_PIDS+=($!)
  BENCH_C_ROOTS+=("$BENCH_DIR/$name-root")
  BENCH_SOCKETS+=("$BENCH_DIR/$name.sock")
  for _ in $(seq 150); do curl -sf --unix-socket "$BENCH_DIR/$name.sock" http://c/_ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "$BENCH_NAME: c-daemon $name did not come up (see $BENCH_DIR/$name.log)" >&2
  return 1
}

bench_dockerd() {
  command -v dockerd >/dev/null || return 1
  echo '{}' >"$BENCH_DIR/dockerd.json"
  dockerd --config-file "$BENCH_DIR/dockerd.json" --iptables=false --ip-masq=false --ip-forward=false --bridge=none \
    -H "unix://$BENCH_DIR/docker.sock" --data-root "$BENCH_DIR/docker" --exec-root "$BENCH_DIR/docker-exec" \
    --pidfile "$BENCH_DIR/docker.pid" >"$BENCH_DIR/dockerd.log" 2>&1 </dev/null &
  BENCH_PIDS+=($!)
  BENCH_SOCKETS+=("$BENCH_DIR/docker.sock")
  for _ in $(seq 100); do curl -sf --unix-socket "$BENCH_DIR/docker.sock" http://d/_ping >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "$BENCH_NAME: dockerd did not come up (see $BENCH_DIR/dockerd.log)" >&2
  return 1
}

bench_podman() { # TAR IMAGE
  command -v podman >/dev/null || return 1
  # Root here lacks CAP_SYS_RESOURCE: cap podman's default rlimits at the hard limits we have (as the anchors do).
  export CONTAINERS_CONF=$BENCH_DIR/containers.conf
  # podman lowers its own NPROC hard limit to 32768, so conmon and the runtime get at most that.
  local nproc
  nproc=$(ulimit -Hu)
  { [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
  printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' "$(ulimit -Hn)" "$(ulimit -Hn)" "$nproc" "$nproc" >"$CONTAINERS_CONF"
  # crun 1.8 refuses this host's hybrid cgroup layout unless the cgroup2 mount is hidden (a private mount namespace).
  BENCH_PODMAN="unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec \"\$0\" \"\$@\"' podman --root $BENCH_DIR/podman --runroot $BENCH_DIR/podman-run --tmpdir $BENCH_DIR/podman-tmp --storage-driver overlay"
  if eval "$BENCH_PODMAN import $1 $2" >/dev/null 2>"$BENCH_DIR/podman.log" && eval "$BENCH_PODMAN run --rm --network none --runtime crun $2 true" >/dev/null 2>>"$BENCH_DIR/podman.log"; then
    return 0
  fi
  echo "podman: could not run here ($(tail -1 "$BENCH_DIR/podman.log")); skipped (anchors: 165 ms with crun)"
  BENCH_PODMAN=
  return 1
}

bench_median() { # FILE
  node -e 'const r=require(process.argv[1]).results[0];const t=[...r.times].sort((a,b)=>a-b);const m=t.length%2?t[(t.length-1)/2]:(t[t.length/2-1]+t[t.length/2])/2;console.log((m*1000).toFixed(1))' "$1"
}

bench_pss() { # PID
  awk '/^Pss:/{print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0
}

bench_cleanup() {
  local docker=${DOCKER:-/usr/local/bin/docker} sock pid root
  for sock in "${BENCH_SOCKETS[@]}"; do
    [ -S "$sock" ] || continue
    "$docker" -H "unix://$sock" ps -aq 2>/dev/null | xargs -r "$docker" -H "unix://$sock" rm -f >/dev/null 2>&1 || true
  done
  for pid in "${BENCH_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  # The roots go: so do the bridges and nft tables their daemons keep across restarts.
  for root in "${BENCH_C_ROOTS[@]}"; do bash "$BENCH_REPO/tooling/scripts/remove-engine-network.sh" "$root"; done
  if [ -n "${BENCH_DIR:-}" ] && [ -d "$BENCH_DIR" ]; then
    grep " $BENCH_DIR" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$BENCH_DIR"
  fi
}
