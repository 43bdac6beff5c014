// One row of the Liqo-shapes benchmark, in a process of its own so that its peak memory is its
// own: `tsx bench/liqo-row.ts SHAPE RULES anomalies|diff geo|bdd` prints one JSON line (wall and
// CPU ms, the cores' MiB, the process's peak RSS and its RSS before the analysis — the modules,
// the tsx loader (about 36 MiB) and the ruleset — finding kinds or change groups).

import { findAnomalies } from '../src/analyses/anomalies.js';
import { diffRulesets } from '../src/analyses/diff.js';
import { symbolicAnalysis } from '../src/analyses/symbolic/index.js';
import { flipped, liqoRuleset, type LiqoShape } from './liqo-shapes.js';

const [shape, rules, what, engine] = process.argv.slice(2) as [LiqoShape, string, 'anomalies' | 'diff', 'geo' | 'bdd'];
const rs = liqoRuleset(shape, Number(rules));
const after = what === 'diff' ? flipped(rs) : rs;
const geometric = engine === 'geo';
const rssBefore = process.memoryUsage().rss / 2 ** 20;
const t0 = performance.now();
const c0 = process.cpuUsage();
let out: Record<string, unknown>;
if (what === 'anomalies') {
  const a = symbolicAnalysis(rs, { maxNodes: 1 << 26 });
  const rep = findAnomalies(a, { describeLines: 3, geometric });
  const kinds: Record<string, number> = {};
  for (const f of rep.findings) kinds[f.kind] = (kinds[f.kind] ?? 0) + 1;
  out = { kinds, geoMiB: rep.geometricBytes / 2 ** 20, bddMiB: a.hs.stats().bytes / 2 ** 20 };
} else {
  const d = diffRulesets(rs, after, { describeLines: 3, geometric, maxNodes: 1 << 26 });
  out = { changes: d.changes.length, changed: d.changed, geoMiB: d.geometricBytes / 2 ** 20, bddMiB: d.bytes / 2 ** 20 };
}
const c = process.cpuUsage(c0);
process.stdout.write(JSON.stringify({ ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, rssMiB: process.resourceUsage().maxRSS / 1024, rssBeforeMiB: rssBefore, ...out }) + '\n');
