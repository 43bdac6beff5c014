// The node load generator of `npm run bench:serve`, for machines without h2load: run in a process
// of its own (the bench pins it to another core than the server's), it sends GET or POST requests
// over keep-alive connections (undici) — at a fixed rate for a time (open loop: each request is
// sent when it is due, whether or not earlier ones were answered), or one at a time — and prints
// one JSON line: every latency in µs (send → last byte read), the errors, the seconds it took.
// Usage: serve-load.ts URL PATH (rate RATE SECONDS | seq N) [JSON_BODY]

import { Pool } from 'undici';

const [url, path, mode, a, b, body] = process.argv.slice(2) as [string, string, string, string, string, string | undefined];
const pool = new Pool(url, { connections: 32, pipelining: 1 });
const lat: number[] = [];
let errors = 0;

async function one(): Promise<void> {
  const t0 = process.hrtime.bigint();
  try {
    const r = await pool.request({ path, method: body ? 'POST' : 'GET', body, headers: body ? { 'content-type': 'application/json' } : {} });
    await r.body.text();
    if (r.statusCode !== 200) errors++;
  } catch {
    errors++;
  }
  lat.push(Number(process.hrtime.bigint() - t0) / 1000);
}

const start = performance.now();
if (mode === 'seq') {
  for (let i = 0; i < Number(a); i++) await one();
} else {
  const rate = Number(a);
  const total = rate * Number(b);
  const inflight = new Set<Promise<void>>();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    for (; sent < due; sent++) {
      const p: Promise<void> = one().then(() => void inflight.delete(p));
      inflight.add(p);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
}
const secs = (performance.now() - start) / 1000;
await pool.close();
process.stdout.write(JSON.stringify({ lat, errors, secs }) + '\n');
