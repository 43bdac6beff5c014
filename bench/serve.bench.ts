// `npm run bench:serve`: the what-if service under a bounded loopback load. The server is the built
// CLI (`nftlens serve`, logs at warn) in its own process; the load comes from this one (undici, keep-
// alive connections), at a fixed rate, latency timed per request from send to the last byte read.
//   1. GET /healthz at 5,000 requests/s — the baseline: what fastify and the loopback cost alone;
//   2. POST evaluate, one packet (JSON), at 5,000 requests/s: p50/p99, and the ratio to the baseline;
//      also both one request at a time (the service's own latency, no queue);
//   3. memory: the server's RSS before and after N evaluate requests (default 1,000,000, as fast as
//      they go, bounded by a time limit), sampled on the way for its slope;
//   4. a 100,000-packet batch in one request, end to end, in packets/s: as text/plain (compact JSON
//      answer, the columns as bytes, the full answer) and as binary records (application/vnd.nftlens.packets:
//      compact JSON, columns), each with the server's CPU time per request (its process_cpu_seconds_total,
//      which the other processes on the machine do not inflate the way they do wall time); against
//      the same packets classified in-process (no HTTP) in the same run.
// Usage: npm run bench:serve [-- MEMORY_REQUESTS [SECONDS_PER_RATE_RUN]]

import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { LineBatch } from '../src/engine/stream/batch.js';
import { encodeRecords } from '../src/engine/stream/records.js';
import { parsePacketLine } from '../src/engine/packet.js';
import { compileRuleset } from '../src/engine/index.js';
import { loadRuleset } from '../src/frontends/load.js';

const MEMORY_N = Number(process.argv[2] ?? 1_000_000);
const SECONDS = Number(process.argv[3] ?? 10);
const MEMORY_LIMIT_S = 300;
const RATE = 5000;
const bin = fileURLToPath(new URL('../bin/nftlens.js', import.meta.url));
const PACKET = JSON.stringify({ packet: 'tcp 10.112.0.5:40000 -> 10.42.1.15:80 iif liqo-tunnel oif eth0' });

function packets(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = `10.${112 + (i % 3)}.${(i >> 8) & 255}.${i & 255}`;
    const d = ['10.42.1.15', '10.42.3.21', `10.42.${i % 5}.${i % 250}`][i % 3];
    out.push(`${i % 5 ? 'tcp' : 'udp'} ${s}:${1024 + (i % 60000)} -> ${d}:${i % 2 ? 80 : 53} iif liqo-tunnel oif eth0`);
  }
  return out;
}

async function startServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const p = spawn(process.execPath, [bin, 'serve', '--listen', '127.0.0.1:0', '--log-level', 'warn', '--max-batch', '1000000', '--body-limit', String(64 << 20)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /listening on (\S+) /.exec(out);
      if (m) resolve(m[1]!);
    });
    p.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  return { url, stop: () => new Promise((r) => (p.once('exit', () => r()), p.kill('SIGTERM'))) };
}

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** Requests at a fixed rate for `seconds`; latencies in µs (send → last byte). */
async function atRate(pool: Pool, path: string, body: string | undefined, rate: number, seconds: number) {
  const lat: number[] = [];
  let errors = 0;
  let sent = 0;
  const total = rate * seconds;
  const start = performance.now();
  const inflight = new Set<Promise<void>>();
  const one = async () => {
    const t0 = process.hrtime.bigint();
    try {
      const r = await pool.request({ path, method: body ? 'POST' : 'GET', body, headers: body ? { 'content-type': 'application/json' } : {} });
      await r.body.text();
      if (r.statusCode !== 200) errors++;
    } catch {
      errors++;
    }
    lat.push(Number(process.hrtime.bigint() - t0) / 1000);
  };
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    for (; sent < due; sent++) {
      const p = one().then(() => void inflight.delete(p));
      inflight.add(p);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  const secs = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { rate: sent / secs, p50: pct(lat, 0.5), p90: pct(lat, 0.9), p99: pct(lat, 0.99), max: lat[lat.length - 1]!, errors };
}

/** One request at a time for `n` requests: the latency of the service itself, without queueing. */
async function sequential(pool: Pool, path: string, body: string | undefined, n: number) {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = await pool.request({ path, method: body ? 'POST' : 'GET', body, headers: body ? { 'content-type': 'application/json' } : {} });
    await r.body.text();
    lat.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 0.5), p99: pct(lat, 0.99) };
}

async function metric(pool: Pool, name: string): Promise<number> {
  const r = await pool.request({ path: '/metrics', method: 'GET' });
  const text = await r.body.text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Server-side p99 of a route from its latency histogram (the bucket bound it falls under). */
async function serverP99(pool: Pool, route: string): Promise<string> {
  const r = await pool.request({ path: '/metrics', method: 'GET' });
  const text = await r.body.text();
  const rows = [...text.matchAll(new RegExp(`^nftlens_http_request_duration_seconds_bucket\\{le="([^"]+)",route="${route.replace(/[/:]/g, (c) => '\\' + c)}",method="[A-Z]+",status="200"\\} (\\d+)$`, 'gm'))];
  const total = Number(rows.find((x) => x[1] === '+Inf')?.[2] ?? 0);
  const hit = rows.find((x) => Number(x[2]) >= 0.99 * total);
  return hit ? `≤ ${Number(hit[1]) * 1000} ms` : '?';
}

/** Closed loop, `concurrency` at a time, until n requests (or the time limit); RSS sampled on the way. */
async function memory(pool: Pool, n: number, concurrency: number) {
  const rss0 = await metric(pool, 'process_resident_memory_bytes');
  const heap0 = await metric(pool, 'nodejs_heap_size_used_bytes');
  const samples: [number, number][] = [[0, rss0]];
  let done = 0;
  const start = performance.now();
  const step = Math.max(1, Math.min(20_000, Math.floor(n / 10)));
  let next = step;
  const worker = async () => {
    while (done < n && performance.now() - start < MEMORY_LIMIT_S * 1000) {
      done++;
      const r = await pool.request({ path: '/v1/policies/examples/evaluate', method: 'POST', body: PACKET, headers: { 'content-type': 'application/json' } });
      await r.body.text();
      if (done >= next) {
        next += step;
        samples.push([done, await metric(pool, 'process_resident_memory_bytes')]);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const secs = (performance.now() - start) / 1000;
  const rss1 = await metric(pool, 'process_resident_memory_bytes');
  const heap1 = await metric(pool, 'nodejs_heap_size_used_bytes');
  // Slope over the second half of the run (after warm-up), bytes per 100,000 requests.
  const half = samples.filter(([k]) => k >= done / 2);
  const slope = half.length >= 2 ? ((half[half.length - 1]![1] - half[0]![1]) / (half[half.length - 1]![0] - half[0]![0])) * 100_000 : NaN;
  return { done, secs, rss0, rss1, heap0, heap1, slope };
}

const RECORDS = 'application/vnd.nftlens.packets';
const RESULTS = 'application/vnd.nftlens.results';

/** One batch request `repeats` times: median and best wall time, and the server's CPU time a request. */
async function batch(pool: Pool, body: Buffer, type: string, query: string, repeats: number, accept?: string) {
  const times: number[] = [];
  let count = 0;
  const cpu0 = await metric(pool, 'process_cpu_seconds_total');
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    const r = await pool.request({ path: `/v1/policies/examples/evaluate${query}`, method: 'POST', body, headers: { 'content-type': type, ...(accept ? { accept } : {}) } });
    const bytes = Buffer.from(await r.body.arrayBuffer());
    times.push(performance.now() - t);
    if (r.statusCode !== 200) throw new Error(`batch: ${r.statusCode} ${bytes.toString().slice(0, 200)}`);
    count = accept === RESULTS ? bytes.length / 12 : (JSON.parse(bytes.toString()) as { count: number }).count;
  }
  const cpu = ((await metric(pool, 'process_cpu_seconds_total')) - cpu0) / repeats;
  times.sort((a, b) => a - b);
  return { count, ms: times[Math.floor(times.length / 2)]!, best: times[0]!, mb: body.length / 1e6, cpuMs: cpu * 1000 };
}

/** The same lines scanned and classified in-process through the same batch path, results left in the columns (as the compact answer takes them): no HTTP. */
async function inProcess(lines: string[], repeats: number) {
  const c = compileRuleset((await loadRuleset([])).ruleset);
  const b = new LineBatch(c, false);
  const bytes = Buffer.from(lines.join('\n'));
  const times: number[] = [];
  for (let k = 0; k < repeats; k++) {
    const t = performance.now();
    b.chunk(bytes, 'x');
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const f = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const ms = (us: number) => `${f(us / 1000, 3)} ms`;

const server = await startServer();
const pool = new Pool(server.url, { connections: 32, pipelining: 1 });
console.log(`# nftlens serve on ${server.url}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${SECONDS} s per rate run`);
await atRate(pool, '/healthz', undefined, 1000, 2); // warm-up
await atRate(pool, '/v1/policies/examples/evaluate', PACKET, 1000, 2);
const base = await atRate(pool, '/healthz', undefined, RATE, SECONDS);
console.log(`GET /healthz at ${f(base.rate)} req/s (baseline): p50 ${ms(base.p50)}, p90 ${ms(base.p90)}, p99 ${ms(base.p99)}, max ${ms(base.max)}, errors ${base.errors}`);
const seqBase = await sequential(pool, '/healthz', undefined, 5000);
const seqEv = await sequential(pool, '/v1/policies/examples/evaluate', PACKET, 5000);
console.log(`one request at a time (5,000 each): /healthz p50 ${ms(seqBase.p50)}, p99 ${ms(seqBase.p99)}; evaluate p50 ${ms(seqEv.p50)}, p99 ${ms(seqEv.p99)} (${f(seqEv.p99 / seqBase.p99, 2)}× the baseline's p99)`);
const ev = await atRate(pool, '/v1/policies/examples/evaluate', PACKET, RATE, SECONDS);
console.log(`POST evaluate (1 packet) at ${f(ev.rate)} req/s: p50 ${ms(ev.p50)}, p90 ${ms(ev.p90)}, p99 ${ms(ev.p99)}, max ${ms(ev.max)}, errors ${ev.errors}; server-side p99 ${await serverP99(pool, '/v1/policies/:name/evaluate')}`);
console.log(`  ratio to baseline: p50 ${f(ev.p50 / base.p50, 2)}×, p99 ${f(ev.p99 / base.p99, 2)}×  (target: p99 ≤ 1 ms)`);

const lines = packets(100_000);
const text = Buffer.from(lines.join('\n') + '\n');
const records = encodeRecords(lines.map((l) => parsePacketLine(l)));
await batch(pool, Buffer.from(lines.slice(0, 10_000).join('\n')), 'text/plain', '?view=compact', 2); // warm-up
await batch(pool, records.subarray(0, 840_000), RECORDS, '', 2, RESULTS);
const la = () => `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`;
const rate = (b: { count: number; ms: number }) => `${f(b.count / b.ms * 1000)} packets/s`;
const line = (what: string, b: Awaited<ReturnType<typeof batch>>) =>
  `  ${what} (${f(b.mb, 1)} MB): median ${f(b.ms)} ms (best ${f(b.best)}) = ${rate(b)} end to end (best ${f(b.count / b.best * 1000)}); server CPU ${f(b.cpuMs)} ms a request = ${f(b.count / b.cpuMs * 1000)} packets per CPU-second`;
console.log(`100,000-packet batch in one request (target ≥ 2,000,000 packets/s end to end); ${la()}`);
const compact = await batch(pool, text, 'text/plain', '?view=compact', 7);
console.log(line('text/plain, compact JSON answer', compact));
console.log(line('text/plain, columns answer', await batch(pool, text, 'text/plain', '', 7, RESULTS)));
console.log(line('binary records, compact JSON answer', await batch(pool, records, RECORDS, '', 7)));
console.log(line('binary records, columns answer', await batch(pool, records, RECORDS, '', 7, RESULTS)));
const full = await batch(pool, text, 'text/plain', '', 3);
console.log(`  text/plain, full answer (every result as eval -o json): median ${f(full.ms)} ms = ${rate(full)}`);
const local = await inProcess(lines, 5);
console.log(`  in-process batch path (text scanned and classified), same packets, no HTTP: ${f(local)} ms = ${f(100_000 / local * 1000)} packets/s; text compact end to end costs ${f(compact.ms / local, 2)}× that; ${la()}`);

const mem = await memory(pool, MEMORY_N, 32);
console.log(`memory: ${f(mem.done)} evaluate requests in ${f(mem.secs, 1)} s (${f(mem.done / mem.secs)} req/s): server RSS ${f(mem.rss0 / 1e6, 1)} MB before, ${f(mem.rss1 / 1e6, 1)} MB after (heap used ${f(mem.heap0 / 1e6, 1)} → ${f(mem.heap1 / 1e6, 1)} MB); RSS slope over the second half ${f(mem.slope / 1e6, 2)} MB per 100,000 requests`);

await pool.close();
await server.stop();
