// `npm run bench:replay`: `nftlens replay` on a generated conntrack -L file of N flows (default
// 2,000,000; -o extended lines with accounting, from the PRNG), the multi-consumer example as the
// proposal and the single-consumer one as the baseline — one thread, then the worker pool on every
// core — against what was the way before replay, measured in the same run on the same flows:
// each flow's first packet written as a packet line and classified by the streamed
// `nftlens eval --packets` (no baseline, no tallies). Each run is its own process (the built
// CLI); prints flows per second, wall time, CPU time, and peak RSS (the process's maxRSS), and the load
// average (the machine may be shared). With REPS, each run is repeated and its fastest kept.
// Usage: npm run bench:replay [-- N [REPS]]

import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { prng } from '../src/model/prng.js';

const N = Number(process.argv[2] ?? 2_000_000);
const REPS = Number(process.argv[3] ?? 1);
const root = new URL('..', import.meta.url).pathname;
const multi = join(root, 'examples/provider-protect-multi-consumer.yaml');
const single = join(root, 'examples/provider-protect-single-consumer.yaml');
const dir = mkdtempSync(join(tmpdir(), 'nftlens-bench-replay-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Writes N conntrack lines and the same flows' first packets as packet lines. */
function generate(ct: string, pk: string): void {
  const r = prng(2026);
  const [a, b] = [openSync(ct, 'w'), openSync(pk, 'w')];
  let x = '';
  let y = '';
  for (let i = 0; i < N; i++) {
    const s = `10.${112 + Math.floor(r() * 3)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
    const d = r() < 0.5 ? ['10.42.1.15', '10.42.3.21', '10.42.2.7'][Math.floor(r() * 3)]! : `10.42.${Math.floor(r() * 8)}.${1 + Math.floor(r() * 254)}`;
    const udp = r() < 0.2;
    const sp = 1024 + Math.floor(r() * 60000);
    const dp = udp ? 53 : r() < 0.5 ? 80 : 443;
    const p = 1 + Math.floor(r() * 30);
    x += `ipv4     2 ${udp ? 'udp      17 29' : 'tcp      6 431999 ESTABLISHED'} src=${s} dst=${d} sport=${sp} dport=${dp} packets=${p} bytes=${p * 80} src=${d} dst=${s} sport=${dp} dport=${sp} packets=${p} bytes=${p * 90}${udp ? '' : ' [ASSURED]'} mark=0 use=1\n`;
    y += `${udp ? 'udp' : 'tcp'} ${s}:${sp} -> ${d}:${dp} iif liqo-tunnel oif liqo.abcdefghij\n`;
    if (x.length > 1 << 20) {
      writeSync(a, x);
      writeSync(b, y);
      x = y = '';
    }
  }
  writeSync(a, x);
  writeSync(b, y);
  closeSync(a);
  closeSync(b);
}

/** One CLI run in its own process: wall ms and peak RSS (MiB), and its output's hash. */
function once(args: string[]): { ms: number; cpuMs: number; rssMB: number; stdout: string } {
  // The output is hashed as it comes, not kept (2 M packets of eval text are more than a string holds).
  const script = `import { run } from ${JSON.stringify(join(root, 'dist/cli/main.js'))};
import { createHash } from 'node:crypto';
import { Writable, Readable } from 'node:stream';
const sink = new Writable({ write: (c, e, done) => done() });
const hash = createHash('sha256');
const t = performance.now();
const code = await run(['node', 'nftlens', ...JSON.parse(process.argv[2])], { stdout: new Writable({ write: (c, e, done) => { hash.update(c); done(); } }), stderr: sink, stdin: Readable.from(['']) });
const ms = performance.now() - t;
const ru = process.resourceUsage();
process.stdout.write(JSON.stringify({ code, ms, cpu: (ru.userCPUTime + ru.systemCPUTime) / 1000, rss: ru.maxRSS, out: hash.digest('hex') }));`;
  // A file, not `node -e`: worker threads inherit the process's flags, and -e is not for them.
  const file = join(dir, 'run.mjs');
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, [file, JSON.stringify(args)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`bench run failed: ${r.stderr}`);
  const o = JSON.parse(r.stdout) as { code: number; ms: number; cpu: number; rss: number; out: string };
  if (o.code > 1) throw new Error(`nftlens exited ${o.code}`);
  return { ms: o.ms, cpuMs: o.cpu, rssMB: o.rss / 1024, stdout: o.out };
}

/** REPS runs: the fastest (on a shared machine the others waited for a core), the largest RSS. */
function timed(args: string[]): ReturnType<typeof once> {
  const runs = Array.from({ length: REPS }, () => once(args));
  const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
  if (runs.some((r) => r.stdout !== best.stdout)) throw new Error(`runs of ${args.join(' ')} gave different output`);
  return { ...best, rssMB: Math.max(...runs.map((r) => r.rssMB)) };
}

const ct = join(dir, 'flows.txt');
const pk = join(dir, 'packets.txt');
generate(ct, pk);
const cores = availableParallelism();
const IFS = ['--iif', 'liqo-tunnel', '--oif', 'liqo.abcdefghij'];
const rows: [string, ReturnType<typeof timed>][] = [
  ['eval --packets (before: first packets, no baseline)', timed(['eval', '-f', multi, '--packets', pk])],
  ['replay, no baseline, 1 thread', timed(['replay', '-f', multi, '--flows', ct, ...IFS, '--workers', '1'])],
  ['replay + baseline, 1 thread', timed(['replay', '-f', multi, '--baseline', single, '--flows', ct, ...IFS, '--workers', '1'])],
  [`replay + baseline, pool of ${cores}`, timed(['replay', '-f', multi, '--baseline', single, '--flows', ct, ...IFS, '--workers', String(cores)])],
];
const before = rows[0]![1].ms;
console.log(`nftlens replay: ${N.toLocaleString('en')} flows (conntrack -L -o extended), ${cores} cores, best of ${REPS}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
// CPU: the process's user + system time, every thread and its start included — what a loaded machine
// changes least (the wall time there is mostly waiting for a core).
console.log('| run | wall | flows/s | CPU | flows per CPU second | peak RSS | vs eval --packets |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const [name, r] of rows) {
  console.log(`| ${name} | ${(r.ms / 1000).toFixed(2)} s | ${Math.round(N / (r.ms / 1000)).toLocaleString('en')} | ${(r.cpuMs / 1000).toFixed(2)} s | ${Math.round(N / (r.cpuMs / 1000)).toLocaleString('en')} | ${r.rssMB.toFixed(0)} MiB | ${(before / r.ms).toFixed(2)}× |`);
}
const one = rows[2]![1];
const pool = rows[3]![1];
console.log(`pool / one thread (same work): ${(one.ms / pool.ms).toFixed(2)}×; the two reports are ${one.stdout === pool.stdout ? 'identical' : 'DIFFERENT'}`);
rmSync(dir, { recursive: true, force: true });
