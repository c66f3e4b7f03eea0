#!/usr/bin/env bash
# The main job end to end, offline: make a base image from Debian's busybox-static, push it to a real registry
# on loopback, remove it, pull it back, list and inspect it, and run a container from it.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tooling/scripts/setup.sh

work=$(mktemp -d /tmp/c-demo.XXXXXX)
registry_pid=""
cleanup() {
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null && { wait "$registry_pid" 2>/dev/null || true; }
  # c started a daemon for this root on first use (socket $C_ROOT/c.sock): stop it.
  if [ -f "$work/root/daemon.pid" ]; then
    daemon_pid=$(cat "$work/root/daemon.pid")
    kill "$daemon_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  # The root goes: so do the bridge and nft table its daemon keeps across restarts.
  bash tooling/scripts/remove-engine-network.sh "$work/root"
  rm -rf "$work"
}
trap cleanup EXIT
export C_ROOT="$work/root"
c() { node apps/cli/dist/c.cjs "$@"; }
step() { printf '\n\033[1m$ c %s\033[0m\n' "$*"; c "$@"; }

# A registry (the CNCF distribution registry, Debian's docker-registry) on a free loopback port.
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
cat > "$work/registry.yml" <<YML
version: 0.1
storage: { filesystem: { rootdirectory: $work/registry }, delete: { enabled: true } }
http: { addr: 127.0.0.1:$port }
log: { level: error }
YML
/usr/bin/docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done

# A root filesystem: static busybox, its applets as symlinks, and the usual /etc files.
rootfs="$work/rootfs"
mkdir -p "$rootfs"/{bin,etc,tmp,root}
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$rootfs/etc/group"
tar -C "$rootfs" --numeric-owner -cf "$work/busybox.tar" .

image="127.0.0.1:$port/demo/busybox:latest"
step version
step import "$work/busybox.tar" "$image"
step push "$image"
step rmi "$image"
step pull "$image"
step images
step image inspect "$image"

# Containers, through the daemon c started for this root.
step run --rm "$image" echo hello from a container
id=$(c run -d --name demo "$image" sh -c 'trap "exit 0" TERM; echo started; while true; do sleep 1; done')
step ps --filter name=demo
step exec demo sh -c 'echo hello from exec in $(hostname)'
step logs demo
step rm -f demo
