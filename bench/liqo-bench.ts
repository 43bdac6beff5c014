// The Liqo-shapes part of `npm run bench:analyses`: each shape at 10k rules, anomalies and diff,
// by the default path (the geometric core where it applies) and by BDDs only; every row runs in
// a process of its own (bench/liqo-row.ts) so that its peak RSS is its own, and rows that take
// longer than ROW_TIMEOUT_MS are reported as such.

import { execFileSync } from 'node:child_process';
import { LIQO_SHAPES, type LiqoShape } from './liqo-shapes.js';

const RULES = 10_000;
const ROW_TIMEOUT_MS = 300_000;
const ROW = new URL('./liqo-row.ts', import.meta.url).pathname;

interface Run {
  ms: number;
  cpuMs: number;
  rssMiB: number;
  rssBeforeMiB: number;
  geoMiB: number;
  bddMiB: number;
  kinds?: Record<string, number>;
  changes?: number;
}

export interface LiqoRow {
  shape: LiqoShape;
  what: 'anomalies' | 'diff';
  geo: Run | undefined;
  bdd: Run | undefined;
}

function run(shape: LiqoShape, what: LiqoRow['what'], engine: 'geo' | 'bdd'): Run | undefined {
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', ROW, shape, String(RULES), what, engine], { timeout: ROW_TIMEOUT_MS, encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').at(-1)!) as Run;
  } catch (e) {
    process.stderr.write(`${shape} ${what} ${engine}: ${(e as Error).message.split('\n')[0]}\n`);
    return undefined;
  }
}

/** Runs every row into `rows`, calling `done` after each. */
export function liqoRows(rows: LiqoRow[], done: () => void): void {
  for (const shape of LIQO_SHAPES) {
    for (const what of ['anomalies', 'diff'] as const) {
      const row: LiqoRow = { shape, what, geo: run(shape, what, 'geo'), bdd: undefined };
      row.bdd = run(shape, what, 'bdd');
      rows.push(row);
      process.stderr.write(`liqo ${shape} ${what}: ${row.geo?.ms.toFixed(0) ?? '—'} ms / BDD ${row.bdd?.ms.toFixed(0) ?? '—'} ms\n`);
      done();
    }
  }
}

const cell = (r: Run | undefined) => (r ? `${r.ms.toFixed(0)} | ${r.cpuMs.toFixed(0)} | ${(r.geoMiB + r.bddMiB).toFixed(1)} | ${r.rssMiB.toFixed(0)} (${r.rssBeforeMiB.toFixed(0)})` : `over ${ROW_TIMEOUT_MS / 1000} s | | |`);
const found = (r: Run | undefined) => (r?.kinds ? Object.entries(r.kinds).map(([k, n]) => `${n} ${k}`).join(', ') : r?.changes !== undefined ? `${r.changes} change groups` : '');

/** The rows as a markdown section. */
export function liqoTable(rows: readonly LiqoRow[]): string[] {
  if (rows.length === 0) return [];
  return [
    `## Liqo shapes (${RULES / 1000}k rules)`,
    '',
    'bench/liqo-shapes.ts: one forward chain (policy drop) per shape — `iif`: iifname + ip saddr /24 + ip daddr; `oif`: the same with',
    'oifname; `mark`: meta mark & 0xff00 + ip daddr; `ctstate`: ct state established,related accept, then ct state new + the `iif` rule;',
    '`ipv6`: an ip6 table, iifname + ip6 saddr /64 + ip6 daddr; `tenants`: 100 jumps on iifname to 100 regular chains of 99 rules.',
    'Rule i drops iff i·2654435761 mod 7 < 3; every 500th rule covers a /24 (or /64) of destinations. Anomalies: every kind, witnesses and',
    'three lines of words each; diff: 100 verdicts flipped (every 97th rule), by verdict, with words and witnesses. "default" is what',
    'nftlens runs (the geometric core where the chain is one of boxes); "BDD" forces the BDD path. Each run in its own process:',
    'wall ms | CPU ms | MiB of the cores (geometric + BDD) | peak RSS MiB of the process (Node itself included), and in',
    'parentheses its RSS before the analysis (Node, the tsx loader — about 36 MiB —, the modules and the ruleset): the difference is the',
    'analysis\'s own.',
    '',
    '| shape | analysis | default ms | CPU ms | cores MiB | peak RSS MiB | BDD ms | CPU ms | cores MiB | peak RSS MiB | BDD / default (wall) | found |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.shape} | ${r.what} | ${cell(r.geo)} | ${cell(r.bdd)} | ${r.geo && r.bdd ? `${(r.bdd.ms / r.geo.ms).toFixed(1)}×` : ''} | ${found(r.geo)} |`),
    '',
  ];
}
