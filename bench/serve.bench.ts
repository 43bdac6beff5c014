// `npm run bench:serve`: the what-if service under a bounded loopback load. The server is the built
// CLI (`nftlens serve`, logs at warn) in its own process.
//   1. Latency at 5,000 requests/s, open loop (each request sent when it is due, answered or not),
//      from a load generator in another process: Debian's h2load (nghttp2-client, C) when it is
//      on the PATH, else the node one (serve-load.ts, undici); the output says which. With two
//      cores or more, the server is pinned to core 0 and the generator to core 1 (taskset). In
//      the same run, alternated round by round: POST evaluate (one packet, JSON), also on a server
//      whose node has a larger young generation (fewer scavenges); GET /healthz,
//      the baseline (what fastify and the loopback cost alone); and the floors of any node server
//      on this machine (serve-floor.ts: node:http answering /healthz's bytes) and of any server at
//      all (serve-floor.c: C, epoll; compiled when cc is there). Each run gives the
//      client's p50/p90/p99/p99.9/max, the server's own p99 (its latency histogram, the bucket
//      bound) and the server's CPU time a request; before them, how much of a second the
//      hypervisor and other processes take from core 0 (serve-floor.ts stalls). Also one request
//      at a time, 5,000 of each: the service's own latency, no queue.
//   2. a 100,000-packet batch in one request, end to end, in packets/s: as text/plain (compact JSON
//      answer, the columns as bytes, the full answer) and as binary records (application/vnd.nftlens.packets:
//      compact JSON, columns), each with the server's CPU time per request (its process_cpu_seconds_total,
//      which the other processes on the machine do not inflate the way they do wall time); against
//      the same packets classified in-process (no HTTP) in the same run;
//   3. memory: the server's RSS before and after N evaluate requests (default 1,000,000, as fast as
//      they go, bounded by a time limit), sampled on the way for its slope.
// Parts 2 and 3 use a server of their own, not pinned, loaded from this process (undici).
// Usage: npm run bench:serve [-- MEMORY_REQUESTS [SECONDS_PER_RATE_RUN [ROUNDS]]]; BENCH_GENERATOR=node
// takes the node generator even where h2load is.

import { execFile, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { LineBatch } from '../src/engine/stream/batch.js';
import { encodeRecords } from '../src/engine/stream/records.js';
import { parsePacketLine } from '../src/engine/packet.js';
import { compileRuleset } from '../src/engine/index.js';
import { loadRuleset } from '../src/frontends/load.js';
import { GENERATOR, PINNED, cFloor, generate, mark, onCore, pct, served, type Latencies } from './serve-latency.js';

const MEMORY_N = Number(process.argv[2] ?? 1_000_000);
const SECONDS = Number(process.argv[3] ?? 10);
const ROUNDS = Number(process.argv[4] ?? 3);
const MEMORY_LIMIT_S = 300;
const RATE = 5000;
const bin = fileURLToPath(new URL('../bin/nftlens.js', import.meta.url));
const floorScript = fileURLToPath(new URL('./serve-floor.ts', import.meta.url));
const EVALUATE = '/v1/policies/examples/evaluate';
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

/** A server process (its stdout says "listening on URL "), until stopped. */
async function startProcess(cmd: string, args: string[]): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const kill = () => p.kill();
  process.once('exit', kill); // the bench cut short (a closed pipe, ^C) leaves no server behind
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /listening on (\S+) /.exec(out);
      if (m) resolve(m[1]!);
    });
    p.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  return { url, pid: p.pid!, stop: () => new Promise((r) => (process.off('exit', kill), p.once('exit', () => r()), p.kill('SIGTERM'))) };
}

/** `nftlens serve` on the examples, logs at warn; pinned to core 0 when `pin` (and there are two cores); node given `flags`. */
function startServer(pin = false, flags: string[] = []) {
  const args = [...flags, bin, 'serve', '--listen', '127.0.0.1:0', '--log-level', 'warn', '--max-batch', '1000000', '--body-limit', String(64 << 20)];
  return pin ? startProcess(...onCore(0, process.execPath, args)) : startProcess(process.execPath, args);
}

async function metric(pool: Pool, name: string): Promise<number> {
  const r = await pool.request({ path: '/metrics', method: 'GET' });
  const text = await r.body.text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
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

const la = () => `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`;
const row = (what: string, l: Latencies, extra = '') =>
  `  ${what}: ${f(l.rate)} req/s, p50 ${ms(pct(l.lat, 0.5))}, p90 ${ms(pct(l.lat, 0.9))}, p99 ${ms(pct(l.lat, 0.99))}, p99.9 ${ms(pct(l.lat, 0.999))}, max ${ms(l.lat[l.lat.length - 1]!)}, errors ${l.errors}${extra}`;

// 1. Latency: nftlens serve (evaluate, /healthz) and the floors, alternated round by round.
const pinned = await startServer(true);
// The same server with a young generation of 64 MB semi-spaces (node's default: 16 MB): a quarter of
// the scavenges. V8 takes these only on node's command line (not from NODE_OPTIONS, not at run time).
const YOUNG = ['--max-semi-space-size=64', '--min-semi-space-size=64'];
const young = await startServer(true, YOUNG);
const floors: { name: string; url: string; stop: () => Promise<void> }[] = [];
const nodeFloor = await startProcess(...onCore(0, process.execPath, ['--import', 'tsx', floorScript, 'server', '0']));
floors.push({ name: 'node:http floor', ...nodeFloor });
const cBin = await cFloor();
if (cBin) floors.push({ name: 'C floor (serve-floor.c)', ...(await startProcess(...onCore(0, cBin, ['0']))) });
console.log(`# 1. latency at ${f(RATE)} req/s, open loop, ${SECONDS} s a run, ${ROUNDS} rounds; ${la()}`);
console.log(`# generator: ${GENERATOR}; ${PINNED ? 'server on core 0, generator on core 1 (taskset)' : 'not pinned (taskset missing or one core)'}${cBin ? '' : '; no cc: no C floor'}`);
const stalls = await new Promise<{ ms: number; over1: number; lost1: number; longest: number }>((resolve, reject) => {
  const [cmd, argv] = onCore(0, process.execPath, ['--import', 'tsx', floorScript, 'stalls', '2000']);
  execFile(cmd, argv, (e, out) => (e ? reject(e) : resolve(JSON.parse(out))));
});
console.log(`# core 0 taken away (busy loop, 2 s): ${stalls.over1} gaps over 1 ms, ${f((100 * stalls.lost1) / stalls.ms, 1)}% of the time, longest ${f(stalls.longest, 1)} ms`);
for (const [url, path, body] of [[pinned.url, '/healthz', undefined], [pinned.url, EVALUATE, PACKET], [young.url, EVALUATE, PACKET], ...floors.map((x) => [x.url, '/', undefined] as const)] as const) {
  await generate(url, path, body, { rate: 1000, seconds: 2 }); // warm-up
}
const seqBase = await generate(pinned.url, '/healthz', undefined, { sequential: 5000 });
const seqEv = await generate(pinned.url, EVALUATE, PACKET, { sequential: 5000 });
console.log(`one request at a time (5,000 each): /healthz p50 ${ms(pct(seqBase.lat, 0.5))}, p99 ${ms(pct(seqBase.lat, 0.99))}; evaluate p50 ${ms(pct(seqEv.lat, 0.5))}, p99 ${ms(pct(seqEv.lat, 0.99))}`);
const targets = ['POST evaluate (1 packet)', `POST evaluate, node ${YOUNG.join(' ')}`, 'GET /healthz (baseline)', ...floors.map((x) => x.name)];
const p99s = new Map<string, number[]>(targets.map((t) => [t, []]));
for (let round = 1; round <= ROUNDS; round++) {
  console.log(`round ${round} (${la()}):`);
  for (const which of round % 2 ? targets : [...targets].reverse()) {
    const fl = floors.find((x) => x.name === which);
    if (fl) {
      const l = await generate(fl.url, '/', undefined, { rate: RATE, seconds: SECONDS });
      p99s.get(which)!.push(pct(l.lat, 0.99));
      console.log(row(`${which} (GET, 15 bytes)`, l));
      continue;
    }
    const [path, body, route] = which === targets[2] ? ['/healthz', undefined, '/healthz'] : [EVALUATE, PACKET, '/v1/policies/:name/evaluate'];
    const url = which === targets[1] ? young.url : pinned.url;
    const before = await mark(url, route);
    const l = await generate(url, path, body, { rate: RATE, seconds: SECONDS });
    const s = served(before, await mark(url, route), l.lat.length);
    p99s.get(which)!.push(pct(l.lat, 0.99));
    console.log(row(which, l, `; server: p99 ${s.p99}, CPU ${f(s.cpuUs)} µs a request`));
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`client p99 over the ${ROUNDS} rounds, median (best) — target: evaluate ≤ 1 ms; ${la()}`);
for (const [t, xs] of p99s) console.log(`  ${t}: ${ms(med(xs))} (${ms(Math.min(...xs))})`);
for (const x of floors) await x.stop();
await young.stop();
await pinned.stop();

// 2 and 3: batches and memory, on a server not pinned, loaded from this process.
const server = await startServer();
const pool = new Pool(server.url, { connections: 32, pipelining: 1 });
const lines = packets(100_000);
const text = Buffer.from(lines.join('\n') + '\n');
const records = encodeRecords(lines.map((l) => parsePacketLine(l)));
await batch(pool, Buffer.from(lines.slice(0, 10_000).join('\n')), 'text/plain', '?view=compact', 2); // warm-up
await batch(pool, records.subarray(0, 840_000), RECORDS, '', 2, RESULTS);
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
