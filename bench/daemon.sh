#!/usr/bin/env bash
# bench/daemon.sh: c-daemon through the real docker CLI (28.x): start-up to the first answered /_ping, per-request
# latency (docker version / images, curl /_ping), and `docker pull` of a one-layer busybox image from a loopback
# docker-registry, cold (empty store each run) and warm (image up to date).
#
#   RUNS=15 bench/daemon.sh       # build the daemon first: pnpm --filter @c/daemon build
#
# Compare with the dockerd 20.10 anchors in shared/anchors (docker pull busybox, same image shape) only when the
# load average is similar: it is printed before and after. Everything lives under $BENCH_DIR, removed at exit.
set -euo pipefail

RUNS=${RUNS:-15}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
DAEMON_JS=${DAEMON_JS:-$REPO/apps/daemon/dist/c-daemon.js}
DOCKER=${DOCKER:-/usr/local/bin/docker}
BENCH_DIR=${BENCH_DIR:-/tmp/c-bench-daemon}

for tool in docker-registry skopeo umoci hyperfine curl node "$DOCKER"; do
  command -v "$tool" >/dev/null || { echo "bench/daemon.sh: $tool is not installed" >&2; exit 1; }
done
[ -f "$DAEMON_JS" ] || { echo "bench/daemon.sh: $DAEMON_JS is missing; run: pnpm --filter @c/daemon build" >&2; exit 1; }

REGISTRY_PID=
DAEMON_PID=
cleanup() {
  for pid in $DAEMON_PID $REGISTRY_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$BENCH_DIR"
}
trap cleanup EXIT
rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR"
export DOCKER_CONFIG=$BENCH_DIR/docker-config

# --- busybox: /bin/busybox of busybox-static plus a few applet links, one deterministic layer -------------------
mkdir -p "$BENCH_DIR/rootfs/bin"
cp /bin/busybox "$BENCH_DIR/rootfs/bin/busybox"
for applet in sh ls cat echo true; do ln -s busybox "$BENCH_DIR/rootfs/bin/$applet"; done
tar --sort=name --mtime=@1704067200 --owner=0 --group=0 --numeric-owner -C "$BENCH_DIR/rootfs" -cf "$BENCH_DIR/layer.tar" bin
umoci init --layout "$BENCH_DIR/oci"
umoci new --image "$BENCH_DIR/oci:busybox"
umoci raw add-layer --image "$BENCH_DIR/oci:busybox" "$BENCH_DIR/layer.tar"
umoci config --image "$BENCH_DIR/oci:busybox" --config.cmd sh

# --- a loopback registry on a free port -------------------------------------------------------------------------
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
printf 'version: 0.1\nlog: { level: error, accesslog: { disabled: true } }\nstorage: { filesystem: { rootdirectory: %s } }\nhttp: { addr: "127.0.0.1:%s" }\n' \
  "$BENCH_DIR/registry" "$PORT" >"$BENCH_DIR/registry.yml"
docker-registry serve "$BENCH_DIR/registry.yml" >"$BENCH_DIR/registry.log" 2>&1 &
REGISTRY_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/v2/" >/dev/null && break; sleep 0.1; done
REF=127.0.0.1:$PORT/busybox:latest
skopeo copy -q --dest-tls-verify=false "oci:$BENCH_DIR/oci:busybox" "docker://$REF"

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# --- start-up: spawn → first 200 from /_ping --------------------------------------------------------------------
node --input-type=module - "$DAEMON_JS" "$BENCH_DIR" "$RUNS" <<'JS'
import { spawn } from 'node:child_process';
import { request } from 'node:http';
const [bin, dir, runs] = process.argv.slice(2);
const ping = (socketPath) =>
  new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
const times = [];
for (let i = 0; i < Number(runs); i++) {
  const socket = `${dir}/start-${i}.sock`;
  const started = performance.now();
  const child = spawn(process.execPath, [bin, '-H', `unix://${socket}`, '--root', `${dir}/start-root`], { stdio: 'ignore' });
  while (!(await ping(socket))) await new Promise((r) => setTimeout(r, 1));
  times.push(performance.now() - started);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(`c-daemon start → first /_ping: median ${median.toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times.at(-1).toFixed(0)}, ${runs} runs)`);
JS

# The floor for any Node program on this machine, for scale.
hyperfine -N --style basic --warmup 3 --runs "$RUNS" --export-json "$BENCH_DIR/node.json" "node -e 0" >/dev/null
jq -r '.results[] | "node -e 0 (floor): median \(.median * 1000 | floor) ms (min \(.min * 1000 | floor), max \(.max * 1000 | floor))"' "$BENCH_DIR/node.json"

# --- a warm daemon: request latency and pulls ------------------------------------------------------------------
SOCK=$BENCH_DIR/c.sock
node "$DAEMON_JS" -H "unix://$SOCK" --root "$BENCH_DIR/root" 2>"$BENCH_DIR/daemon.log" &
DAEMON_PID=$!
for _ in $(seq 200); do curl -sf --unix-socket "$SOCK" http://c/_ping >/dev/null && break; sleep 0.05; done
D="$DOCKER -H unix://$SOCK"

hyperfine -N --style basic --warmup 3 --runs "$RUNS" --export-json "$BENCH_DIR/requests.json" \
  "curl -sf --unix-socket $SOCK http://c/_ping" "$D version" "$D images" >/dev/null
# Cold: image removed and the blobs deleted before each run (rmi alone keeps blobs until GC exists).
hyperfine -N --style basic --warmup 2 --runs "$RUNS" --export-json "$BENCH_DIR/pull-cold.json" \
  --prepare "sh -c '$D rmi -f $REF >/dev/null 2>&1; rm -rf $BENCH_DIR/root/content/blobs'" "$D pull -q $REF" >/dev/null
hyperfine -N --style basic --warmup 2 --runs "$RUNS" --export-json "$BENCH_DIR/pull-warm.json" "$D pull -q $REF" >/dev/null

for file in requests pull-cold pull-warm; do
  jq -r --arg f "$file" '.results[] | "\($f): \(.command | sub("unix://[^ ]+"; "unix://SOCK") | sub("--unix-socket [^ ]+"; "--unix-socket SOCK") | sub("127.0.0.1:[0-9]+"; "REGISTRY")): median \(.median * 1000 | floor) ms (min \(.min * 1000 | floor), max \(.max * 1000 | floor))"' \
    "$BENCH_DIR/$file.json"
done
echo "daemon RSS after the runs: $(awk '/VmRSS/ {print $2, $3}' "/proc/$DAEMON_PID/status")"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
