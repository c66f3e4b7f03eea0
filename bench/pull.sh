#!/usr/bin/env bash
# bench/pull.sh: c's pull against `skopeo copy docker://… oci:DIR` (download into a store) and against
# `podman pull` (download + unpack), for a ~100 MB, 3-layer image of many small files, served by a loopback
# docker-registry.
#
#   RUNS=7 bench/pull.sh          # build first: pnpm turbo run build --filter @c/engine...
#   DOWNLOAD_ONLY=1 bench/pull.sh # only c download vs skopeo (skips pull+unpack and podman: much quicker)
#
# c runs as bench/pull-c.mjs: a fresh `node` process running the engine's ImageService.pull, as the daemon does
# (`c pull` itself is a client of the daemon). `download` mode stops when the blobs are verified in the content
# store; `unpack` mode also commits the layer snapshots, as every `c pull` now does.
# The product itself is timed too, after the runs above (its unpacked files and their writeback must not land in
# them): `c pull` (apps/cli) against a warm c-daemon (apps/daemon), which downloads and unpacks; the image is
# removed with `c rmi` (blobs and snapshots go with it) after each run, untimed. CLI_RUNS=0 skips it.
# Each run starts from an empty destination (fresh C_ROOT, fresh OCI dir); the tools alternate so load spikes
# hit both. Prints every run, the medians and the ratio c/skopeo. Everything lives under $BENCH_DIR.
set -euo pipefail

RUNS=${RUNS:-7}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
C_PULL=${C_PULL:-$REPO/bench/pull-c.mjs}
ENGINE_JS=$REPO/packages/engine/dist/images/index.js
BENCH_DIR=${BENCH_DIR:-/tmp/c-bench-pull}
IMAGE_DIR=$BENCH_DIR/image          # kept between invocations (building it takes a while); CLEAN=1 rebuilds
RUN_DIR=$BENCH_DIR/run              # registry storage and destinations, removed at exit

for tool in docker-registry skopeo umoci node; do
  command -v "$tool" >/dev/null || { echo "bench/pull.sh: $tool is not installed" >&2; exit 1; }
done
for f in "$ENGINE_JS" "$REPO/apps/cli/dist/c.cjs" "$REPO/apps/daemon/dist/c-daemon.js"; do
  [ -f "$f" ] || { echo "bench/pull.sh: $f is missing; run: pnpm turbo run build --filter @c/engine... --filter @c/cli --filter @c/daemon" >&2; exit 1; }
done

# bench/lib.sh starts the c-daemon of the `c pull` runs; its cleanup stops what was started (the daemon, the
# registry), removes the daemon root's network leftovers and $RUN_DIR.
source "$HERE/lib.sh"
BENCH_NAME=bench/pull.sh
BENCH_DIR=$RUN_DIR
trap bench_cleanup EXIT
[ "${CLEAN:-0}" = 1 ] && rm -rf "$IMAGE_DIR"
rm -rf "$RUN_DIR"
mkdir -p "$IMAGE_DIR" "$RUN_DIR"

# --- the image: three layers of many small files, deterministic tars (sorted, fixed mtime, root owner) ---------
LAYERS=("usr/include" "usr/lib/python3 usr/lib/python3.11" "usr/share/vim usr/share/perl usr/share/i18n usr/share/cmake-3.25 usr/share/icons usr/share/fonts usr/share/mime usr/share/java")
if [ ! -f "$IMAGE_DIR/done" ]; then
  echo "building the image in $IMAGE_DIR/oci ..." >&2
  rm -rf "$IMAGE_DIR/oci"
  umoci init --layout "$IMAGE_DIR/oci"
  umoci new --image "$IMAGE_DIR/oci:big"
  i=0
  for paths in "${LAYERS[@]}"; do
    i=$((i + 1))
    existing=()
    for p in $paths; do [ -e "/$p" ] && existing+=("$p"); done
    tar --sort=name --mtime=@1704067200 --owner=0 --group=0 --numeric-owner -C / -cf "$IMAGE_DIR/layer$i.tar" "${existing[@]}"
    umoci raw add-layer --image "$IMAGE_DIR/oci:big" "$IMAGE_DIR/layer$i.tar"
    rm -f "$IMAGE_DIR/layer$i.tar"
  done
  touch "$IMAGE_DIR/done"
fi

# --- a loopback registry on a free port -------------------------------------------------------------------------
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
cat >"$RUN_DIR/registry.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $RUN_DIR/registry
http:
  addr: 127.0.0.1:$PORT
YML
docker-registry serve "$RUN_DIR/registry.yml" >"$RUN_DIR/registry.log" 2>&1 &
BENCH_PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/v2/" >/dev/null && break; sleep 0.1; done
REF=127.0.0.1:$PORT/big:latest
skopeo copy -q --dest-tls-verify=false "oci:$IMAGE_DIR/oci:big" "docker://$REF"

COMPRESSED=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$PORT/v2/big/manifests/latest" |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const m=JSON.parse(s);console.log(m.layers.reduce((a,l)=>a+l.size,0))})')
echo "image: $REF, 3 layers, $COMPRESSED compressed bytes; $RUNS runs each, alternating" >&2

# --- the runs ---------------------------------------------------------------------------------------------------
now_ms() { date +%s%N | awk '{printf "%.1f", $1 / 1e6}'; }
# c and podman unpack into a new directory each run, and no unpacked tree is deleted before the exit: on an ext4
# without a journal (this VM's root disk), the inode allocator skips every inode freed in the last 60 s (360 s
# while its inode table block is dirty) one by one (ext4's recently_deleted()), so a tool unpacking right after
# an `rm -rf` of the previous run's ~23k files paid 0.2-0.5 ms per created file instead of ~15 µs. That was the
# bimodal figure of both tools (perf: half the samples in recently_deleted), not their unpack.
time_c() { # $1 = download | unpack
  local dest; dest=$(mktemp -d "$RUN_DIR/c-root.XXXXXX")
  local t0; t0=$(now_ms)
  local out; out=$(node "$C_PULL" "$REF" "$dest" "$1")
  awk -v a="$t0" -v b="$(now_ms)" 'BEGIN{printf "%.1f", b - a}'
  # pull-c.mjs's own figure for importing the engine (a subshell: kept in a file for the summary)
  [ "$1" = download ] && printf '%s\n' "$out" | sed -n 's/.*"importMs":\([0-9.]*\).*/\1/p' >>"$RUN_DIR/import-ms"
  return 0
}
time_c_cli() {
  local t0; t0=$(now_ms)
  c_cli pull "$REF" >/dev/null
  awk -v a="$t0" -v b="$(now_ms)" 'BEGIN{printf "%.1f", b - a}'
  c_cli rmi "$REF" >/dev/null
}
time_skopeo() {
  rm -rf "$RUN_DIR/skopeo-oci"
  local t0; t0=$(now_ms)
  skopeo copy -q --src-tls-verify=false "docker://$REF" "oci:$RUN_DIR/skopeo-oci:latest" >/dev/null
  awk -v a="$t0" -v b="$(now_ms)" 'BEGIN{printf "%.1f", b - a}'
}
DOWNLOAD_ONLY=${DOWNLOAD_ONLY:-0}
HAVE_PODMAN=0
if [ "$DOWNLOAD_ONLY" != 1 ] && command -v podman >/dev/null; then HAVE_PODMAN=1; fi
time_podman() {
  local dest; dest=$(mktemp -d "$RUN_DIR/podman.XXXXXX")
  local t0; t0=$(now_ms)
  podman --root "$dest/root" --runroot "$dest/run" pull -q --tls-verify=false "$REF" >/dev/null
  awk -v a="$t0" -v b="$(now_ms)" 'BEGIN{printf "%.1f", b - a}'
}

# What creating a file costs here now (2000 empty files, kept until the exit): ~15-30 µs on a quiet ext4; far more
# means inodes freed in the last minutes nearby (another job's or an earlier bench's deletions), which slows the
# unpacks of both tools and pushes their ratio towards 1.
probe_create() {
  node -e 'const fs = require("fs"); const d = process.argv[1]; fs.mkdirSync(d); const t = process.hrtime.bigint();
    for (let i = 0; i < 2000; i++) fs.closeSync(fs.openSync(`${d}/f${i}`, "wx"));
    console.log((Number(process.hrtime.bigint() - t) / 2000 / 1000).toFixed(0))' "$RUN_DIR/probe.$1"
}
[ "$DOWNLOAD_ONLY" != 1 ] && echo "file creation before the runs: $(probe_create before) µs per file" >&2

C_TIMES=()
D_TIMES=()
U_TIMES=()
S_TIMES=()
P_TIMES=()
for run in $(seq "$RUNS"); do
  if [ $((run % 2)) = 1 ]; then c=$(time_c download); s=$(time_skopeo); else s=$(time_skopeo); c=$(time_c download); fi
  C_TIMES+=("$c")
  S_TIMES+=("$s")
  line="run $run: c download ${c} ms, skopeo ${s} ms"
  if [ "$DOWNLOAD_ONLY" != 1 ]; then u=$(time_c unpack); U_TIMES+=("$u"); line="$line, c pull+unpack ${u} ms"; fi
  if [ "$HAVE_PODMAN" = 1 ]; then p=$(time_podman); P_TIMES+=("$p"); line="$line, podman ${p} ms"; fi
  echo "$line (load $(cut -d' ' -f1 /proc/loadavg))"
done

CLI_RUNS=${CLI_RUNS:-$RUNS}
if [ "$CLI_RUNS" -gt 0 ]; then
  # --- a warm c-daemon for `c pull` (one pull and rmi first, so the daemon has served a pull before the runs) ------
  bench_c_daemon daemon
  c_cli() { node "$BENCH_CLI_JS" -H "unix://$RUN_DIR/daemon.sock" "$@"; }
  c_cli pull "$REF" >/dev/null
  c_cli rmi "$REF" >/dev/null
fi
for run in $(seq "$CLI_RUNS"); do
  d=$(time_c_cli)
  D_TIMES+=("$d")
  echo "c pull run $run: ${d} ms (load $(cut -d' ' -f1 /proc/loadavg))"
done

[ "$DOWNLOAD_ONLY" != 1 ] && echo "file creation after the runs: $(probe_create after) µs per file" >&2
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END{if (NR%2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2}'; }
C_MED=$(median "${C_TIMES[@]}")
S_MED=$(median "${S_TIMES[@]}")
echo "median: c pull ${C_MED} ms, skopeo copy ${S_MED} ms, ratio c/skopeo $(awk -v c="$C_MED" -v s="$S_MED" 'BEGIN{printf "%.2f", c / s}')x"
D_MED=
if [ "$CLI_RUNS" -gt 0 ]; then
  D_MED=$(median "${D_TIMES[@]}")
  echo "median: c pull (CLI → warm daemon; downloads and unpacks) ${D_MED} ms, ratio to skopeo copy (download only) $(awk -v c="$D_MED" -v s="$S_MED" 'BEGIN{printf "%.2f", c / s}')x"
fi
echo "c's engine import inside those runs: median $(median $(cat "$RUN_DIR/import-ms") | awk '{printf "%.1f", $1}') ms"
echo "throughput: c $(awk -v b="$COMPRESSED" -v t="$C_MED" 'BEGIN{printf "%.0f", b / t / 1000}') MB/s, skopeo $(awk -v b="$COMPRESSED" -v t="$S_MED" 'BEGIN{printf "%.0f", b / t / 1000}') MB/s"
[ "$DOWNLOAD_ONLY" = 1 ] && exit 0
U_MED=$(median "${U_TIMES[@]}")
if [ "$HAVE_PODMAN" = 1 ]; then
  P_MED=$(median "${P_TIMES[@]}")
  echo "median: c pull+unpack ${U_MED} ms, podman pull ${P_MED} ms, ratio c/podman $(awk -v c="$U_MED" -v p="$P_MED" 'BEGIN{printf "%.2f", c / p}')x"
  [ -n "$D_MED" ] && echo "median: c pull (CLI → warm daemon) ${D_MED} ms, ratio c pull/podman pull $(awk -v c="$D_MED" -v p="$P_MED" 'BEGIN{printf "%.2f", c / p}')x"
else
  echo "median: c pull+unpack ${U_MED} ms; podman: not installed, skipped"
fi
