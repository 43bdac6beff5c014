// Where a packet's time goes: the whole trace through the batch API against the chain as compiled
// (cut trees where they apply), the same chain forced onto bit vectors, and the same path with an
// empty chain (the floor: hooks, conntrack, routing, batch I/O); each for the whole path and for
// the forward hook alone (B_HOOK, what native classifiers measure). Lookups per CPU second.
// Usage: npx tsx bench/profile.ts [set …]
import { compileRuleset } from '../src/engine/index.js';
import { lookupChoice } from '../src/engine/compile.js';
import * as L from '../src/engine/layout.js';
import type { Classifier } from '../src/engine/classifier.js';
import { loadColumns, loadSet, type CbTrace } from './classbench-data.js';

function run(c: Classifier, t: CbTrace): void {
  for (let s = 0; s < t.n; s += c.capacity) {
    const n = Math.min(c.capacity, t.n - s);
    loadColumns(c, t, s, n);
    c.runBatch(n);
  }
}

function prepare(c: Classifier, hook: number): void {
  const col = c.columns;
  col[L.K_NFPROTO]!.fill(2);
  col[L.K_IIF]!.fill(c.interfaceClass(''));
  col[L.K_OIF]!.fill(c.interfaceClass(''));
  col[L.K_CTSTATE]!.fill(8);
  col[L.B_LEN]!.fill(40);
  col[L.B_HOOK]!.fill(hook);
}

function rate(c: Classifier, t: CbTrace, hook: number): number {
  prepare(c, hook);
  for (let i = 0; i < 3; i++) run(c, t);
  const c0 = process.cpuUsage();
  let calls = 0;
  while (process.cpuUsage(c0).user < 1.5e6) {
    run(c, t);
    calls++;
  }
  return (calls * t.n) / (process.cpuUsage(c0).user / 1e6) / 1e6;
}

for (const name of process.argv.slice(2).length ? process.argv.slice(2) : ['acl1_1k', 'fw1_1k', 'ipc1_1k', 'acl1_10k', 'fw1_10k', 'ipc1_10k']) {
  const { ruleset, trace } = loadSet(name);
  lookupChoice.forest = 'never';
  const bits = compileRuleset(ruleset);
  lookupChoice.forest = 'auto';
  const t0 = performance.now();
  const c = compileRuleset(ruleset);
  const ms = performance.now() - t0;
  const empty = { tables: [{ ...ruleset.tables[0]!, chains: [{ ...ruleset.tables[0]!.chains[0]!, rules: [] }] }] };
  const none = compileRuleset(empty);
  const both = (x: Classifier) => `${rate(x, trace, 0).toFixed(2)} / ${rate(x, trace, L.HOOK_FORWARD + 1).toFixed(2)}`;
  console.log(`${name} (M/s CPU, whole path / forward hook alone): chain ${both(c)}, bit vectors ${both(bits)}, empty chain ${both(none)}; compile ${ms.toFixed(0)} ms`);
}
