#!/usr/bin/env bash
# bench/start.sh - start latency of `c-runtime run` against `runc run` and `crun run` on the same busybox bundle
# (process /bin/true), run alternately (c, runc, crun, c, runc, crun, ...) so machine load hits all alike; where
# installed, `podman run --rm --network none` (crun) and `docker run --rm` (Debian's dockerd, started as the
# anchors start it) on an image of the same rootfs join the rounds (PEERS=0 leaves them out).
# Prints medians, min/max and the ratios c/runc and c/crun; writes JSON to $OUT (default /tmp/c-bench-start.json).
# `c` is the CommonJS build the c-runtime bin runs (dist/c-runtime.cjs): `run` in one process (the CLI builds the
# container, a generated static program is PID 1); `c-init` is the same with C_RUNTIME_DIRECT=0, the two-process
# start through dist/c-runtime-init.cjs (what `create`/`start` use); `c-esm` is `c` as ES modules (dist/c-runtime.js);
# `node` is `node -e 0`, the floor of one Node start-up. Then bench/start-variants.mjs measures one init start-up
# under the options tried for issue #4 (flags, CJS, V8 startup snapshot); VARIANT_ROUNDS=0 skips it.
#
#   N=30 bench/start.sh          # rounds (default 20), after 3 warm-up rounds
#
# crun 1.8 refuses this host's hybrid cgroup layout, so it runs in a private mount namespace with
# /sys/fs/cgroup/unified unmounted (the anchors' `in_ns`). Needs root, busybox-static, runc, crun, node.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
N=${N:-20}
WARMUP=${WARMUP:-3}
OUT=${OUT:-/tmp/c-bench-start.json}
CLI="$REPO/packages/runtime/dist/c-runtime.cjs"
CLI_ESM="$REPO/packages/runtime/dist/c-runtime.js"
INIT_ESM="$REPO/packages/runtime/dist/c-runtime-init.js"
VARIANT_ROUNDS=${VARIANT_ROUNDS:-20}
WORK=$(mktemp -d /tmp/c-bench-start.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

[ "$(id -u)" = 0 ] || { echo "bench/start.sh: needs root" >&2; exit 1; }
if [ ! -f "$CLI" ] || [ -n "$(find "$REPO/packages/runtime/src" "$REPO/packages/namespaces/src" -newer "$CLI" -name '*.ts' | head -1)" ]; then
  (cd "$REPO" && pnpm --filter @c/runtime build >/dev/null)
fi

# Bundle: static busybox + applet symlinks; config from `runc spec`, made non-interactive.
BUNDLE=$WORK/bundle
mkdir -p "$BUNDLE/rootfs/bin" "$BUNDLE/rootfs"/{proc,sys,dev,tmp,etc}
cp /bin/busybox "$BUNDLE/rootfs/bin/busybox"
for a in sh true; do ln -s busybox "$BUNDLE/rootfs/bin/$a"; done
(cd "$BUNDLE" && runc spec)
node -e '
  const fs = require("fs"); const p = process.argv[1]; const s = JSON.parse(fs.readFileSync(p, "utf8"));
  s.process.terminal = false; s.process.args = ["/bin/true"]; fs.writeFileSync(p, JSON.stringify(s, null, 1));
' "$BUNDLE/config.json"

if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then
  # Node reads and parses that whole CA bundle at start-up: ~80-100 ms more per `node` here (the init is spawned
  # with an empty environment, but the CLI and `node -e 0` pay it).
  echo "note: NODE_EXTRA_CA_CERTS is set; for figures comparable with runc run: env -u NODE_EXTRA_CA_CERTS $0" >&2
fi

STATE=$WORK/state
mkdir -p "$STATE"

# podman and docker on an image of the same rootfs (bench/lib.sh starts and stops them; its cleanup removes $WORK).
TOOLS=(c c-init c-esm runc crun node)
source "$HERE/lib.sh"
BENCH_NAME=bench/start.sh
BENCH_DIR=$WORK
trap bench_cleanup EXIT
DOCKER=${DOCKER:-/usr/local/bin/docker}
if [ "${PEERS:-1}" = 1 ]; then
  tar --numeric-owner -C "$BUNDLE/rootfs" -cf "$WORK/rootfs.tar" .
  bench_podman "$WORK/rootfs.tar" bench-busybox && TOOLS+=(podman)
  if [ -x "$DOCKER" ] && bench_dockerd && "$DOCKER" -H "unix://$WORK/docker.sock" import "$WORK/rootfs.tar" bench-busybox >/dev/null; then
    TOOLS+=(docker)
  fi
fi
in_ns() { unshare -m --propagation private bash -c 'umount /sys/fs/cgroup/unified 2>/dev/null || true; exec "$@"' in_ns "$@"; }

now() { date +%s%N; }
declare -A SAMPLES=([c]="" [c-init]="" [c-esm]="" [runc]="" [crun]="" [node]="" [podman]="" [docker]="")
run_one() { # tool id -> elapsed ns
  local tool=$1 id=$2 t0 t1
  t0=$(now)
  case $tool in
    c) node "$CLI" --root "$STATE/c" run -b "$BUNDLE" "$id" </dev/null >/dev/null ;;
    c-esm) C_RUNTIME_INIT=$INIT_ESM node "$CLI_ESM" --root "$STATE/c" run -b "$BUNDLE" "$id" </dev/null >/dev/null ;;
    c-init) C_RUNTIME_DIRECT=0 node "$CLI" --root "$STATE/c" run -b "$BUNDLE" "$id" </dev/null >/dev/null ;;
    runc) runc --root "$STATE/runc" run -b "$BUNDLE" "$id" </dev/null >/dev/null ;;
    crun) in_ns crun --root "$STATE/crun" run -b "$BUNDLE" "$id" </dev/null >/dev/null ;;
    node) node -e 0 ;; # the floor: c-runtime run is two Node start-ups (CLI + init) plus the container work
    podman) eval "$BENCH_PODMAN run --rm --network none --runtime crun bench-busybox true" </dev/null >/dev/null ;;
    docker) "$DOCKER" -H "unix://$WORK/docker.sock" run --rm bench-busybox true </dev/null >/dev/null ;;
  esac
  t1=$(now)
  echo $(( (t1 - t0) / 1000 ))
}

for ((i = 1; i <= WARMUP + N; i++)); do
  for tool in "${TOOLS[@]}"; do
    us=$(run_one "$tool" "b$i$tool$RANDOM")
    if ((i > WARMUP)); then SAMPLES[$tool]+="$us "; fi
  done
done

ARGS=()
for tool in "${TOOLS[@]}"; do ARGS+=("$tool" "${SAMPLES[$tool]}"); done
node -e '
  const [n, out, ...rest] = process.argv.slice(1);
  const tools = {};
  for (let i = 0; i < rest.length; i += 2) tools[rest[i]] = rest[i + 1].trim().split(/\s+/).map(Number).sort((a, b) => a - b);
  const median = (xs) => (xs.length % 2 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2);
  const ms = (us) => (us / 1000).toFixed(1);
  const result = { runs: Number(n), load: require("os").loadavg()[0], tools: {} };
  for (const [tool, xs] of Object.entries(tools)) {
    result.tools[tool] = { medianMs: median(xs) / 1000, minMs: xs[0] / 1000, maxMs: xs[xs.length - 1] / 1000 };
    console.log(`${tool.padEnd(5)} median ${ms(median(xs))} ms  (min ${ms(xs[0])}, max ${ms(xs[xs.length - 1])}, n=${xs.length})`);
  }
  result.ratioRunc = median(tools.c) / median(tools.runc);
  result.ratioCrun = median(tools.c) / median(tools.crun);
  result.ratioInitRunc = median(tools["c-init"]) / median(tools.runc);
  result.cMinusNodeMs = (median(tools.c) - median(tools.node)) / 1000;
  for (const peer of ["podman", "docker"]) {
    if (!tools[peer]) continue;
    result[`ratio_${peer}`] = median(tools.c) / median(tools[peer]);
    console.log(`c/${peer} ${result[`ratio_${peer}`].toFixed(2)}x (c-runtime run against \`${peer} run --rm\`: a whole engine, not only a runtime)`);
  }
  console.log(`c/runc ${result.ratioRunc.toFixed(2)}x   c-init/runc ${result.ratioInitRunc.toFixed(2)}x   c/crun ${result.ratioCrun.toFixed(2)}x   c - node start ${result.cMinusNodeMs.toFixed(1)} ms   (load ${result.load.toFixed(1)})`);
  require("fs").writeFileSync(out, JSON.stringify(result, null, 2));
' "$N" "$OUT" "${ARGS[@]}"

if ((VARIANT_ROUNDS > 0)); then
  echo "--- one init start-up, by variant (bench/start-variants.mjs, $VARIANT_ROUNDS rounds) ---"
  node "$HERE/start-variants.mjs" "$VARIANT_ROUNDS"
fi
