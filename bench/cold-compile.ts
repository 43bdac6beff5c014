// `npm run bench:cold`: the first compile of a ClassBench 10k set (or acl1_100k, named) in a fresh Node process — what
// a CLI run pays, before V8 has optimized anything — beside a second compile in the same process.
// Each set runs in RUNS fresh child processes (this file with `--child SET`); prints the median
// and range and writes bench/results/cold-compile.md.
// Usage: npm run bench:cold [-- fw1_10k …]   (RUNS=n, default 5)

import cliProgress from 'cli-progress';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseRules, rulesFile, toRuleset } from './classbench-data.js';

const SETS = ['fw1_10k', 'acl1_10k', 'ipc1_10k'];
const RUNS = Number(process.env.RUNS ?? 5);
const TARGET_MS = 300;

interface Sample {
  coldMs: number;
  warmMs: number;
}

if (process.argv[2] === '--child') {
  const { compileRuleset } = await import('../src/engine/index.js');
  const rs = toRuleset(parseRules(readFileSync(rulesFile(process.argv[3]!), 'utf8')));
  const t0 = performance.now();
  compileRuleset(rs);
  const t1 = performance.now();
  compileRuleset(rs);
  const sample: Sample = { coldMs: t1 - t0, warmMs: performance.now() - t1 };
  process.stdout.write(JSON.stringify(sample));
} else {
  const sets = process.argv.slice(2).length ? process.argv.slice(2) : SETS;
  const bar = new cliProgress.SingleBar({ format: 'cold compile {bar} {value}/{total} processes', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  bar.start(sets.length * RUNS, 0);
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  const rows = sets.map((set) => {
    const samples: Sample[] = [];
    // One fresh process a sample.
    for (let i = 0; i < RUNS; i++) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', set], { encoding: 'utf8' });
      samples.push(JSON.parse(out) as Sample);
      bar.increment();
    }
    return { set, cold: stats(samples.map((s) => s.coldMs)), warm: stats(samples.map((s) => s.warmMs)) };
  });
  bar.stop();
  const ms = (s: Stats) => `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
  const md = [
    '# First compile in a fresh process (ClassBench 10k, and acl1_100k when named)',
    '',
    `Command: \`npm run bench:cold\` — ${new Date().toISOString().slice(0, 16)}Z, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, load average at start ${load}.`,
    `\`compileRuleset\` on the parsed ruleset, timed in ${RUNS} fresh processes a set: the first call, then a second in the same process. Median (range), ms.`,
    '',
    '| set | first compile | second compile | target |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.set} | ${ms(r.cold)} | ${ms(r.warm)} | ${TARGET_MS} |`),
    '',
  ].join('\n');
  process.stdout.write(`${md}\n`);
  const dir = new URL('./results/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}cold-compile.md`, md);
}

interface Stats {
  median: number;
  min: number;
  max: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
}
