// `npm run bench`: ClassBench acl1/fw1/ipc1 at 1k and 10k rules, and acl1 at 100k, through the WASM classifier
// (batch API, single thread), a straightforward TypeScript linear scan, and the reference
// interpreter, in the same run; plus compile time, program size, and every WASM answer checked
// against the trace's expected first match, and the compile's memory (heap kept, process RSS). Writes bench/results/classbench.{md,svg,json}.
// Usage: npm run bench [-- acl1_1k fw1_10k …]   (BENCH_TIME=seconds per measurement, default 2)

import Benchmark from 'benchmark';
import cliProgress from 'cli-progress';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { compileRuleset, ReferenceEngine } from '../src/engine/index.js';
import * as L from '../src/engine/layout.js';
import { makePacket, type Packet } from '../src/engine/packet.js';
import { barChart } from './chart.js';
import { linearScanner, loadColumns, loadSet, type CbTrace } from './classbench-data.js';
import type { Classifier } from '../src/engine/classifier.js';
import { compileProgram } from '../src/engine/compile.js';
import { makeEnvironment } from '../src/engine/environment.js';
import { planRuleset } from '../src/engine/plan.js';
import { formatIpv4 as ip } from '../src/model/values.js';

const SETS = ['acl1_1k', 'fw1_1k', 'ipc1_1k', 'acl1_10k', 'fw1_10k', 'ipc1_10k', 'acl1_100k'];
const TARGETS: Record<string, number> = { acl1_1k: 13.0e6, fw1_1k: 5.1e6, ipc1_1k: 7.5e6, acl1_10k: 7.3e6, fw1_10k: 9.9e6, ipc1_10k: 2.9e6 };
const MAX_TIME = Number(process.env.BENCH_TIME ?? 2);
const RESULTS = new URL('./results/', import.meta.url).pathname;
setFlagsFromString('--expose-gc');
/** A full collection, so that heap figures count what is kept, not garbage not yet collected. */
const gc = runInNewContext('gc') as () => void;

interface Row {
  set: string;
  rules: number;
  packets: number;
  source: string;
  /** Lookups per second of wall time (benchmark.js) and per second of this process's CPU time. */
  wasm: number;
  linear: number;
  reference: number;
  wasmCpu: number;
  /** The forward hook alone (B_HOOK = forward): the chain's search, as native classifiers measure. */
  hook: number;
  hookCpu: number;
  linearCpu: number;
  referenceCpu: number;
  compileMs: number;
  recompileMs: number;
  /** JS heap the classifier keeps (after a full collection), and the process's RSS right after that compile, MB. */
  heapMB: number;
  rssMB: number;
  programMB: number;
  mismatches: number;
  /** The chain's search: cut trees or bit vectors (assembly/engine/lookup.ts). */
  lookup: 'forest' | 'bits';
}

/** Ops per second of fn, by benchmark.js. */
function measure(name: string, fn: () => void): number {
  const b = new Benchmark(name, fn, { maxTime: MAX_TIME, minSamples: 5 });
  b.run();
  return b.hz;
}

/** Lookups per CPU second of this process (robust on a shared, loaded machine). */
function cpuRate(fn: () => void, lookupsPerCall: number): number {
  const start = process.cpuUsage();
  let calls = 0;
  let used = 0;
  while (used < MAX_TIME / 2 || calls < 3) {
    fn();
    calls++;
    used = process.cpuUsage(start).user / 1e6;
  }
  return (calls * lookupsPerCall) / used;
}

/** A fixed integer loop: its time tells how fast this machine is right now. */
function calibrate(): { cpuMs: number; wallMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let x = 0;
  for (let i = 0; i < 3e8; i++) x = (x + i) | 0;
  if (x === 1) console.log(x);
  return { cpuMs: process.cpuUsage(c0).user / 1000, wallMs: performance.now() - t0 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Loads the whole trace through the batch columns; checks or just evaluates. */
function runTrace(c: Classifier, t: CbTrace, check: boolean): number {
  const col = c.columns;
  const cap = c.capacity;
  let bad = 0;
  for (let s = 0; s < t.n; s += cap) {
    const n = Math.min(cap, t.n - s);
    loadColumns(c, t, s, n);
    c.runBatch(n);
    if (check) {
      for (let i = 0; i < n; i++) {
        if (col[L.B_RULE]![i] !== t.expected[s + i] || col[L.B_VERDICT]![i] !== L.VERDICT_ACCEPT) bad++;
      }
    }
  }
  return bad;
}

function prepareColumns(c: Classifier, hook = 0): void {
  const col = c.columns;
  const none = c.interfaceClass('');
  col[L.K_NFPROTO]!.fill(2);
  for (const k of [1, 2, 3]) {
    col[L.K_SADDR + k]!.fill(0);
    col[L.K_DADDR + k]!.fill(0);
  }
  col[L.K_IIF]!.fill(none);
  col[L.K_OIF]!.fill(none);
  col[L.K_CTSTATE]!.fill(8);
  col[L.K_MARK]!.fill(0);
  col[L.K_CTMARK]!.fill(0);
  col[L.K_FLAGS]!.fill(0);
  col[L.B_LEN]!.fill(40);
  col[L.B_LOCAL]!.fill(0);
  col[L.B_HOOK]!.fill(hook);
  col[L.B_MASQ]!.fill(0);
}

function benchSet(name: string, step: () => void): Row {
  const { rules, ruleset, trace } = loadSet(name);
  const compiles: number[] = [];
  gc();
  const before = process.memoryUsage();
  let c = compileRuleset(ruleset);
  const rssMB = process.memoryUsage().rss / 2 ** 20;
  gc();
  gc();
  const heapMB = (process.memoryUsage().heapUsed - before.heapUsed) / 2 ** 20;
  for (let i = 0; i < (rules.length > 5000 ? 3 : 5); i++) {
    const t0 = performance.now();
    c = compileRuleset(ruleset);
    compiles.push(performance.now() - t0);
  }
  // A change (the last rule removed), compiled off to the side while `c` stays live.
  const changed = { tables: [{ ...ruleset.tables[0]!, chains: [{ ...ruleset.tables[0]!.chains[0]!, rules: ruleset.tables[0]!.chains[0]!.rules.slice(0, -1) }] }] };
  const t1 = performance.now();
  compileRuleset(changed);
  const recompileMs = performance.now() - t1;
  prepareColumns(c);
  const mismatches = runTrace(c, trace, true);
  step();

  const wasm = measure(`${name} wasm`, () => runTrace(c, trace, false)) * trace.n;
  const wasmCpu = cpuRate(() => runTrace(c, trace, false), trace.n);
  prepareColumns(c, L.HOOK_FORWARD + 1);
  const hookMismatches = runTrace(c, trace, true);
  const hook = measure(`${name} wasm one hook`, () => runTrace(c, trace, false)) * trace.n;
  const hookCpu = cpuRate(() => runTrace(c, trace, false), trace.n);
  step();

  const scan = linearScanner(rules);
  const nLinear = rules.length > 50000 ? 100 : rules.length > 5000 ? 1000 : 10000;
  let at = 0;
  let sink = 0;
  const linearFn = () => {
    for (let i = 0; i < nLinear; i++) {
      const j = at++ % trace.n;
      sink += scan(trace.src[j]!, trace.dst[j]!, trace.sport[j]!, trace.dport[j]!, trace.proto[j]!);
    }
  };
  const linear = measure(`${name} linear`, linearFn) * nLinear;
  const linearCpu = cpuRate(linearFn, nLinear);
  step();

  const ref = new ReferenceEngine(ruleset);
  const nRef = rules.length > 50000 ? 5 : rules.length > 5000 ? 50 : 500;
  const pkts: Packet[] = [];
  for (let i = 0; i < nRef * 4; i++) {
    pkts.push(makePacket({ saddr: ip(trace.src[i]!), daddr: ip(trace.dst[i]!), l4proto: trace.proto[i]!, sport: trace.sport[i]!, dport: trace.dport[i]!, length: 40 }));
  }
  let k = 0;
  const refFn = () => {
    for (let i = 0; i < nRef; i++) sink += ref.evaluate(pkts[k++ % pkts.length]!).rule ?? 0;
  };
  const reference = measure(`${name} reference`, refFn) * nRef;
  const referenceCpu = cpuRate(refFn, nRef);
  step();
  if (sink === -1) console.log(sink);
  return {
    set: name, rules: rules.length, packets: trace.n, source: trace.source, wasm, linear, reference, wasmCpu, hook, hookCpu, linearCpu, referenceCpu,
    compileMs: median(compiles), recompileMs, heapMB, rssMB, programMB: (c.programWords * 4) / 2 ** 20, mismatches: mismatches + hookMismatches,
    lookup: compileProgram(planRuleset(ruleset), makeEnvironment({})).lookups[0]!,
  };
}

function table(rows: Row[]): string {
  const m = (v: number) => (v / 1e6).toFixed(2);
  const lines = [
    '| set | rules | packets | lookup | WASM M/s (wall) | WASM M/s (CPU) | WASM one hook M/s (wall / CPU) | linear scan (wall / CPU) | reference (CPU) | WASM ÷ linear (wall / CPU) | WASM ÷ reference (CPU) | target M/s | compile ms | recompile ms | heap kept MB | process RSS MB | program MB | wrong answers |',
    '|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.set} | ${r.rules} | ${r.packets} (${r.source}) | ${r.lookup === 'forest' ? 'cut trees' : 'bit vectors'} | ${m(r.wasm)} | ${m(r.wasmCpu)} | ${m(r.hook)} / ${m(r.hookCpu)} | ${m(r.linear)} / ${m(r.linearCpu)} | ${(r.referenceCpu / 1e6).toPrecision(2)} | ${(r.wasm / r.linear).toFixed(1)}× / ${(r.wasmCpu / r.linearCpu).toFixed(1)}× | ${(r.wasmCpu / r.referenceCpu).toFixed(0)}× | ${TARGETS[r.set] ? m(TARGETS[r.set]!) : '—'} | ${r.compileMs.toFixed(0)} | ${r.recompileMs.toFixed(0)} | ${r.heapMB.toFixed(1)} | ${r.rssMB.toFixed(0)} | ${r.programMB.toFixed(1)} | ${r.mismatches} |`);
  }
  return lines.join('\n');
}

function main(): void {
  const sets = process.argv.slice(2).length ? process.argv.slice(2) : SETS;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const cal = calibrate();
  const bar = new cliProgress.SingleBar({ format: 'classbench [{bar}] {value}/{total} {stage}' }, cliProgress.Presets.shades_classic);
  bar.start(sets.length * 4, 0, { stage: '' });
  const rows: Row[] = [];
  for (const s of sets) {
    bar.update({ stage: s });
    rows.push(benchSet(s, () => bar.increment()));
  }
  bar.stop();
  const md = [
    '# ClassBench: WASM classifier vs linear scan vs reference interpreter',
    '',
    `Single thread, one process, node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${new Date().toISOString().slice(0, 16)}Z.`,
    'Lookups/s by benchmark.js (wall clock) and per second of the process\'s own CPU time (steadier when',
    `the machine is shared: load average at start ${load}; a 3×10⁸-step integer loop took ${cal.cpuMs.toFixed(0)} ms CPU /`,
    `${cal.wallMs.toFixed(0)} ms wall at the start, to compare runs by). WASM: the whole trace through the batch`,
    'API, 4096 packets per call; linear scan: a straightforward TypeScript loop over the rules; reference: the',
    'TypeScript reference interpreter, one packet at a time. Every WASM answer',
    "is checked against the trace's expected first match (column 7 corrected by `.firstmatch_diff`), on both paths.",
    'Rules: one `ip` filter chain at forward, first match accepts. "WASM": packets go the whole path',
    '(prerouting, conntrack, routing decision, forward, postrouting); "WASM one hook": the forward hook',
    'alone (batch column B_HOOK = forward), i.e. the chain\'s search, which is what the native classifiers',
    'of the target column measure. Ratios use the whole path. Command: `npm run bench`.',
    'Compile ms: `compileRuleset` (plan, program, WASM instance), median of 5 (3 above 5k rules) after a first',
    'compile; heap kept: JS heap still used after a full collection with that first classifier live (the',
    'program itself is in WASM memory: program MB); process RSS: right after that compile (the rules, trace and',
    'earlier sets\' leftovers included).',
    'Lookup: the chain\'s search as compiled — cut trees (HiCuts cuts over CutSplit subsets) or the',
    'bit-vector fallback (assembly/engine/lookup.ts). No result cache: every packet is classified.',
    `Per-packet floor (the same path with an empty chain): \`npx tsx bench/profile.ts\`.${process.env.BENCH_NOTE ? ' ' + process.env.BENCH_NOTE : ''}`,
    '',
    table(rows),
    '',
  ].join('\n');
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(RESULTS + 'classbench.md', md);
  writeFileSync(RESULTS + 'classbench.json', JSON.stringify(rows, null, 2) + '\n');
  writeFileSync(RESULTS + 'classbench.svg', barChart('ClassBench lookups per CPU second, single thread', 'lookups per CPU second', rows.map((r) => ({
    label: r.set,
    target: TARGETS[r.set],
    values: [
      { name: 'WASM classifier, whole path', value: r.wasmCpu, color: '#2a6fdb' },
      { name: 'WASM classifier, forward hook alone', value: r.hookCpu, color: '#7fb3f5' },
      { name: 'TS linear scan', value: r.linearCpu, color: '#e39b2d' },
      { name: 'reference interpreter', value: r.referenceCpu, color: '#9a9a9a' },
    ],
  }))));
  process.stdout.write(md);
  if (rows.some((r) => r.mismatches > 0)) process.exitCode = 1;
}

main();
