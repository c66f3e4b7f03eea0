// bench/daemon-steps.mjs: the daemon's start path step by step, as `docker run --rm --network none IMAGE true` drives
// it (create → wait?condition=next-exit armed → start → wait returns → DELETE), through the Engine API on one or more
// sockets, alternating between them round by round; prints the median of each step per socket.
// With --c-run, each round also runs c's one-exchange `POST /c/run/stream` (what `c run --rm` sends: create, attach,
// wait for removal, start) and prints its two steps: until the start is reported, and from there to the status.
//
//   node bench/daemon-steps.mjs [--c-run] ROUNDS IMAGE LABEL=SOCKET [LABEL=SOCKET…]
import { request } from 'node:http';

const cRun = process.argv[2] === '--c-run';
const [rounds, image, ...targets] = process.argv.slice(cRun ? 3 : 2);
if (!rounds || !image || targets.length === 0) {
  console.error('usage: node bench/daemon-steps.mjs [--c-run] ROUNDS IMAGE LABEL=SOCKET [LABEL=SOCKET…]');
  process.exit(2);
}

function call(socketPath, method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request({ socketPath, method, path, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode >= 300) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
        else resolve(text === '' ? undefined : JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function once(socket) {
  const t0 = performance.now();
  const created = await call(socket, 'POST', '/v1.41/containers/create', { Image: image, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
  const t1 = performance.now();
  const waited = call(socket, 'POST', `/v1.41/containers/${created.Id}/wait?condition=next-exit`);
  await call(socket, 'POST', `/v1.41/containers/${created.Id}/start`);
  const t2 = performance.now();
  const result = await waited;
  const t3 = performance.now();
  await call(socket, 'DELETE', `/v1.41/containers/${created.Id}?force=1`);
  const t4 = performance.now();
  if (result.StatusCode !== 0) throw new Error(`exit ${result.StatusCode}`);
  return { create: t1 - t0, start: t2 - t1, 'exit→wait': t3 - t2, remove: t4 - t3, total: t4 - t0 };
}

/** `POST /c/run/stream` with --rm semantics: ms until the first control frame (created and started), then until the last. */
function cRunOnce(socket) {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(JSON.stringify({ Image: image, Cmd: ['true'], HostConfig: { NetworkMode: 'none', AutoRemove: true } }));
    const t0 = performance.now();
    const req = request({
      socketPath: socket,
      method: 'POST',
      path: '/v1.43/c/run/stream?condition=removed',
      headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, Connection: 'Upgrade', Upgrade: 'tcp' },
    });
    req.on('response', (res) => reject(new Error(`POST /c/run/stream: ${res.statusCode} (not c-daemon?)`)));
    req.on('error', reject);
    req.on('upgrade', (_res, stream, head) => {
      let buffered = head;
      const controls = [];
      const onData = (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 8 && buffered.length >= 8 + buffered.readUInt32BE(4)) {
          const size = buffered.readUInt32BE(4);
          if (buffered[0] === 3) controls.push({ at: performance.now(), message: JSON.parse(buffered.subarray(8, 8 + size).toString()) });
          buffered = buffered.subarray(8 + size);
        }
      };
      onData(Buffer.alloc(0));
      stream.on('data', onData);
      stream.on('end', () => {
        const exited = controls.at(-1);
        if (controls.length !== 2 || exited.message.StatusCode !== 0) return reject(new Error(`c run stream: ${JSON.stringify(controls)}`));
        resolve({ 'create+start': controls[0].at - t0, 'exit→removed': exited.at - controls[0].at, total: exited.at - t0 });
      });
    });
    req.end(body);
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const parsed = targets.map((t) => ({ label: t.slice(0, t.indexOf('=')), socket: t.slice(t.indexOf('=') + 1), samples: [] }));
for (const t of parsed) {
  // warm-up
  await once(t.socket);
  if (cRun) await cRunOnce(t.socket);
  t.cSamples = [];
}
for (let i = 0; i < Number(rounds); i++) {
  // Alternate the order each round so neither side always runs right after the other's refill.
  const order = i % 2 === 0 ? parsed : [...parsed].reverse();
  for (const t of order) {
    t.samples.push(await once(t.socket));
    // Let the pool refill between runs, as between two interactive `docker run`s.
    await new Promise((r) => setTimeout(r, 150));
    if (!cRun) continue;
    t.cSamples.push(await cRunOnce(t.socket));
    await new Promise((r) => setTimeout(r, 150));
  }
}
const steps = ['create', 'start', 'exit→wait', 'remove', 'total'];
console.log(`${'ms (median)'.padEnd(14)}${steps.map((s) => s.padStart(11)).join('')}`);
for (const t of parsed) {
  console.log(`${t.label.padEnd(14)}${steps.map((s) => median(t.samples.map((x) => x[s])).toFixed(1).padStart(11)).join('')}`);
}
if (cRun) {
  const cSteps = ['create+start', 'exit→removed', 'total'];
  console.log(`${'c run stream'.padEnd(14)}${cSteps.map((s) => s.padStart(14)).join('')}`);
  for (const t of parsed) {
    console.log(`${t.label.padEnd(14)}${cSteps.map((s) => median(t.cSamples.map((x) => x[s])).toFixed(1).padStart(14)).join('')}`);
  }
}
