// bench/daemon-steps.mjs: the daemon's start path step by step, as `docker run --rm --network none IMAGE true` drives
// it (create → wait?condition=next-exit armed → start → wait returns → DELETE), through the Engine API on one or more
// sockets, alternating between them round by round; prints the median of each step per socket.
//
//   node bench/daemon-steps.mjs ROUNDS IMAGE LABEL=SOCKET [LABEL=SOCKET…]
import { request } from 'node:http';

const [rounds, image, ...targets] = process.argv.slice(2);
if (!rounds || !image || targets.length === 0) {
  console.error('usage: node bench/daemon-steps.mjs ROUNDS IMAGE LABEL=SOCKET [LABEL=SOCKET…]');
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

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const parsed = targets.map((t) => ({ label: t.slice(0, t.indexOf('=')), socket: t.slice(t.indexOf('=') + 1), samples: [] }));
for (const t of parsed) await once(t.socket); // warm-up
for (let i = 0; i < Number(rounds); i++) {
  // Alternate the order each round so neither side always runs right after the other's refill.
  const order = i % 2 === 0 ? parsed : [...parsed].reverse();
  for (const t of order) {
    t.samples.push(await once(t.socket));
    // Let the pool refill between runs, as between two interactive `docker run`s.
    await new Promise((r) => setTimeout(r, 150));
  }
}
const steps = ['create', 'start', 'exit→wait', 'remove', 'total'];
console.log(`${'ms (median)'.padEnd(14)}${steps.map((s) => s.padStart(11)).join('')}`);
for (const t of parsed) {
  console.log(`${t.label.padEnd(14)}${steps.map((s) => median(t.samples.map((x) => x[s])).toFixed(1).padStart(11)).join('')}`);
}
