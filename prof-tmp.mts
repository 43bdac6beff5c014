import { compileRuleset } from './src/engine/index.js';
import { loadRuleset } from './src/frontends/load.js';
import { evaluateMany } from './src/services/api/evaluate.js';
import { LineBatch } from './src/cli/eval-batch.js';
const c = compileRuleset((await loadRuleset([])).ruleset);
const lines: string[] = [];
for (let i = 0; i < 100000; i++) lines.push(`tcp 10.${112 + (i % 3)}.${(i >> 8) & 255}.${i & 255}:${1024 + i % 60000} -> 10.42.1.15:80 iif liqo-tunnel oif eth0`);
const body = lines.join('\n');
for (let k = 0; k < 4; k++) {
  let t = performance.now();
  const sp = body.split('\n');
  const tSplit = performance.now() - t;
  t = performance.now();
  const b = new LineBatch(c);
  for (let i = 0; i < sp.length; i += c.capacity) { const ch = sp.slice(i, i + c.capacity); b.run({ file: 'x', lines: ch, numbers: ch.map((_, j) => j) }); }
  const tRun = performance.now() - t;
  t = performance.now();
  const out = evaluateMany(c, sp, { view: 'compact' }, { maxBatch: 1e6, maxTrace: 10 }, (i) => ({ line: i }));
  const tAll = performance.now() - t;
  console.log(`split ${tSplit.toFixed(1)} run ${tRun.toFixed(1)} evaluateMany(compact) ${tAll.toFixed(1)} ms; out ${out.length} bytes`);
}
