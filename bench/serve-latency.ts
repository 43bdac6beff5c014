// Latency runs of `npm run bench:serve` (part 1): a load generator in a process of its own — h2load
// (C, Debian's nghttp2-client) when it is on the PATH, else serve-load.ts (node, undici) — pinned
// to another core than the server when there are two; a run at a fixed rate for a time (open loop)
// or one request at a time; latencies in µs, send → last byte. Plus what a run cost the server:
// its CPU time a request and its own p99 (the bucket bound of its latency histogram), both read
// from /metrics before and after. And the C floor server (serve-floor.c) compiled when cc is there.

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A command's path on the PATH, or undefined. */
async function which(cmd: string): Promise<string | undefined> {
  try {
    return (await run('sh', ['-c', `command -v ${cmd}`])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Whether processes can be pinned to cores (taskset, two cores or more): then the server takes core 0, the generator core 1. */
export const PINNED = availableParallelism() >= 2 && (await which('taskset')) !== undefined;
// BENCH_GENERATOR=node: the node generator even where h2load is.
const H2LOAD = process.env.BENCH_GENERATOR === 'node' ? undefined : await which('h2load');

/** The command line of a process on core `core` (when pinning), else as is. */
export function onCore(core: number, cmd: string, args: string[]): [string, string[]] {
  return PINNED ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];
}

/**
 * h2load processes of one keep-alive connection each. One h2load paces all its connections with
 * timers that fire together (5 connections at 1,000/s each: bursts of 5 every 1 ms, the last of a
 * burst queued behind the other four); separate processes start their timers at unrelated times.
 */
const CONNECTIONS = 5;

/** Which generator runs, for the output; how to get h2load when it is missing. */
export const GENERATOR = H2LOAD
  ? `h2load (nghttp2-client, C): ${CONNECTIONS} processes of one keep-alive connection each, each at 1/${CONNECTIONS} of the rate`
  : `the node generator (serve-load.ts, undici, 32 keep-alive connections) — ${process.env.BENCH_GENERATOR === 'node' ? 'BENCH_GENERATOR=node' : 'h2load not found: `apt-get install -y nghttp2-client` for the C one'}`;

export interface Latencies {
  /** Sorted, µs. */
  lat: number[];
  errors: number;
  /** Requests a second achieved. */
  rate: number;
}

const dir = mkdtempSync(join(tmpdir(), 'nftlens-serve-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const loadScript = fileURLToPath(new URL('./serve-load.ts', import.meta.url));

/** Requests to `url` + `path` (POST of `body` as JSON if given): at `rate` a second for `seconds`, or `sequential` one at a time. */
export async function generate(url: string, path: string, body: string | undefined, load: { rate: number; seconds: number } | { sequential: number }): Promise<Latencies> {
  const out = H2LOAD ? await h2load(url, path, body, load) : await nodeLoad(url, path, body, load);
  out.lat.sort((a, b) => a - b);
  return out;
}

async function h2load(url: string, path: string, body: string | undefined, load: { rate: number; seconds: number } | { sequential: number }): Promise<Latencies> {
  const args = ['--h1'];
  if (body) {
    const file = join(dir, 'body.json');
    writeFileSync(file, body);
    args.push('-d', file, '-H', 'content-type: application/json');
  }
  const k = 'sequential' in load ? 1 : CONNECTIONS;
  const logs = Array.from({ length: k }, (_, i) => join(dir, `requests-${i}.log`));
  await Promise.all(logs.map((log) => {
    rmSync(log, { force: true }); // h2load appends
    const pace = 'sequential' in load ? ['-c', '1', '-n', String(load.sequential)] : ['-c', '1', '--rps', String(load.rate / k), '-D', String(load.seconds)];
    return run(...onCore(1, H2LOAD!, [...args, ...pace, '--log-file', log, url + path]), { maxBuffer: 1 << 20 });
  }));
  // Each line: start (µs since the epoch), status (-1: failed), µs to the end of the response.
  const lat: number[] = [];
  let errors = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const log of logs) {
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      const [start, status, us] = line.split('\t');
      if (us === undefined) continue;
      if (status !== '200') errors++;
      lat.push(Number(us));
      first = Math.min(first, Number(start));
      last = Math.max(last, Number(start));
    }
  }
  return { lat, errors, rate: lat.length / Math.max(1e-6, (last - first) / 1e6) };
}

function nodeLoad(url: string, path: string, body: string | undefined, load: { rate: number; seconds: number } | { sequential: number }): Promise<Latencies> {
  const mode = 'sequential' in load ? ['seq', String(load.sequential), '0'] : ['rate', String(load.rate), String(load.seconds)];
  const [cmd, argv] = onCore(1, process.execPath, ['--import', 'tsx', loadScript, url, path, ...mode, ...(body ? [body] : [])]);
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`serve-load.ts exited ${code}`));
      const r = JSON.parse(out) as { lat: number[]; errors: number; secs: number };
      resolve({ lat: r.lat, errors: r.errors, rate: r.lat.length / r.secs });
    });
  });
}

/** serve-floor.c compiled (cc -O2) into the run's directory, or undefined without a C compiler. */
export async function cFloor(): Promise<string | undefined> {
  const cc = await which('cc');
  if (!cc) return undefined;
  const out = join(dir, 'serve-floor');
  await run(cc, ['-O2', '-o', out, fileURLToPath(new URL('./serve-floor.c', import.meta.url))]);
  return out;
}

export const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** The server's state a run is measured against: its CPU seconds and a route's histogram buckets. */
export interface ServerMark {
  cpu: number;
  buckets: Map<string, number>;
}

/** From the nftlens server's /metrics: CPU seconds so far and the buckets of `route`'s 200 answers. */
export async function mark(url: string, route: string): Promise<ServerMark> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const cpu = Number(/^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1] ?? NaN);
  const buckets = new Map<string, number>();
  const esc = route.replace(/[/:]/g, (c) => '\\' + c);
  for (const m of text.matchAll(new RegExp(`^nftlens_http_request_duration_seconds_bucket\\{le="([^"]+)",route="${esc}",method="[A-Z]+",status="200"\\} (\\d+)$`, 'gm'))) {
    buckets.set(m[1]!, Number(m[2]));
  }
  return { cpu, buckets };
}

/** Between two marks, for `n` requests: the server's CPU µs a request, and the bound its p99 falls under. */
export function served(before: ServerMark, after: ServerMark, n: number): { cpuUs: number; p99: string } {
  const count = (le: string) => (after.buckets.get(le) ?? 0) - (before.buckets.get(le) ?? 0);
  const total = count('+Inf');
  const hit = [...after.buckets.keys()].find((le) => count(le) >= 0.99 * total);
  return { cpuUs: ((after.cpu - before.cpu) * 1e6) / n, p99: total && hit ? (hit === '+Inf' ? '> 30 s' : `≤ ${Number(hit) * 1000} ms`) : '?' };
}
