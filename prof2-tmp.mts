import { compileRuleset } from './src/engine/index.js';
import { loadRuleset } from './src/frontends/load.js';
import { LineBatch } from './src/cli/eval-batch.js';
const c = compileRuleset((await loadRuleset([])).ruleset);
const lines: string[] = [];
for (let i = 0; i < 4096; i++) lines.push(`tcp 10.${112 + (i % 3)}.${(i >> 8) & 255}.${i & 255}:${1024 + i % 60000} -> 10.42.1.15:80 iif liqo-tunnel oif eth0`);
const b = new LineBatch(c);
b.run({ file: 'x', lines, numbers: lines.map((_, j) => j) });
for (let k = 0; k < 5; k++) {
  const t = performance.now();
  for (let r = 0; r < 25; r++) c.runBatch(4096);
  const ms = performance.now() - t;
  console.log(`runBatch only: ${(25 * 4096 / ms * 1000 / 1e6).toFixed(2)} M packets/s`);
}
