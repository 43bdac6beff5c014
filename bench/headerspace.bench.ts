// Header-space benchmark: encoding ClassBench chains into BDDs and the first-match
// reachable-space pass (space of rule i minus the union of the rules before it), each on a fresh
// HeaderSpace, timed by benchmark.js; plus the node table's size afterwards.
// Writes bench/results/headerspace.md.
// Usage: npx tsx bench/headerspace.bench.ts [acl1_1k acl1_10k …]   (BENCH_TIME=seconds, default 3)

import Benchmark from 'benchmark';
import cliProgress from 'cli-progress';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { HeaderSpace, firstMatchSpaces, matchesSpace, type Space } from '../src/analyses/headerspace/index.js';
import type { Match } from '../src/model/ruleset.js';
import { readClassBench } from '../test/analyses/headerspace/classbench.js';

const SETS = process.argv.slice(2).length ? process.argv.slice(2) : ['acl1_1k', 'acl1_10k', 'fw1_1k', 'ipc1_1k'];
const MAX_TIME = Number(process.env.BENCH_TIME ?? 3);
const RESULTS = new URL('./results/', import.meta.url).pathname;

interface Row {
  set: string;
  rules: number;
  encodeMs: number;
  encodeAndPassMs: number;
  passMs: number;
  dead: number;
  unionNodes: number;
  reachNodes: number;
  liveNodes: number;
  bytes: number;
}

function encode(hs: HeaderSpace, rules: Match[][]): Space[] {
  return rules.map((r) => matchesSpace(hs, r));
}

/** Mean milliseconds per call of fn, by benchmark.js. */
function meanMs(name: string, fn: () => void): number {
  const b = new Benchmark(name, fn, { maxTime: MAX_TIME, minSamples: 3, initCount: 1 });
  b.run();
  return b.stats.mean * 1000;
}

const bar = new cliProgress.SingleBar({ format: 'headerspace {bar} {value}/{total} {step}' }, cliProgress.Presets.shades_classic);
bar.start(SETS.length * 3, 0, { step: '' });
const rows: Row[] = [];
for (const set of SETS) {
  const rules = readClassBench(`${set}.rules`);
  bar.update({ step: `${set}: encode` });
  const encodeMs = meanMs(`${set} encode`, () => {
    encode(new HeaderSpace(), rules);
  });
  bar.increment(1, { step: `${set}: encode + first-match pass` });
  const encodeAndPassMs = meanMs(`${set} encode+pass`, () => {
    const hs = new HeaderSpace();
    firstMatchSpaces(hs, encode(hs, rules));
  });
  bar.increment(1, { step: `${set}: memory` });
  const hs = new HeaderSpace();
  const fm = firstMatchSpaces(hs, encode(hs, rules));
  const stats = hs.stats();
  rows.push({
    set,
    rules: rules.length,
    encodeMs,
    encodeAndPassMs,
    passMs: encodeAndPassMs - encodeMs,
    dead: fm.reach.filter((r) => hs.isEmpty(r)).length,
    unionNodes: hs.size(fm.union),
    reachNodes: fm.reach.reduce((n, r) => n + hs.size(r), 0),
    liveNodes: stats.nodes,
    bytes: stats.bytes,
  });
  bar.increment(1, { step: `${set}: done` });
}
bar.stop();

const f = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const mb = (b: number) => (b / 2 ** 20).toFixed(1);
const table = [
  '| set | rules | encode ms | encode + pass ms | pass ms | never reached | union nodes | Σ reach nodes | live nodes | table MiB |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.set} | ${r.rules} | ${f(r.encodeMs)} | ${f(r.encodeAndPassMs)} | ${f(r.passMs)} | ${r.dead} | ${r.unionNodes} | ${r.reachNodes} | ${r.liveNodes} | ${mb(r.bytes)} |`),
];
console.log(table.join('\n'));
mkdirSync(RESULTS, { recursive: true });
writeFileSync(
  RESULTS + 'headerspace.md',
  [
    '# Header spaces: encoding ClassBench chains and the first-match reachable-space pass',
    '',
    `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${new Date().toISOString().slice(0, 16)}Z, single thread.`,
    'Each measurement starts from a fresh HeaderSpace (its own WASM instance and node table), so',
    'nothing is reused from an earlier run; mean of benchmark.js samples. "pass" = (encode + pass) − encode:',
    'reach[i] = space[i] ∖ (space[0] ∪ … ∪ space[i−1]) for every rule, union grown by reach[i].',
    'Rules: every ClassBench rule as `meta nfproto ipv4` + its prefixes, port ranges and protocol.',
    'Memory after the pass, with every reach[i] and the union still held: live nodes (16 B each) and',
    'the bytes of the tables in use (nodes handed out, active buckets, caches, io).',
    `Command: \`npx tsx bench/headerspace.bench.ts ${SETS.join(' ')}\`.`,
    '',
    ...table,
    '',
  ].join('\n'),
);
