// `npm run bench:gateway`: the gateway applier on a 10k-rule Liqo-style table (one forward chain,
// policy drop; each rule `iifname X ip saddr A ip daddr B counter accept comment NAME`, as Liqo
// renders its filter rules), inside a throwaway network namespace (root), against baselines
// measured in the same run on the same table:
//   - apply + verify (one transaction, read back, compare) vs a raw `nft -j -f` load of the table;
//   - a converged no-op check (apply finding nothing to write; verify; watch's check) vs a raw
//     `nft -j list table` of it;
//   - what nft alone costs for each way of listing (JSON, text, terse, by chain, `list tables`,
//     the start check's commands), so that the applier's own share is seen;
//   - the CLI end to end in fresh processes (`nftlens verify`, a no-op `nftlens apply`: reading
//     and parsing the 10k-rule input included) against `nftlens validate` of the same file;
//   - the exact semantic verify (the policy diff of intent and kernel state, forced even though
//     the structure agrees) and a drifted verify (one rule changed: structure, then the exact diff
//     with witnesses).
// Medians of RUNS runs. Writes bench/results/gateway.{md,json}. Needs `npm run build` (the CLI rows
// run bin/nftlens.js). Usage: npm run bench:gateway [-- RULES]

import cliProgress from 'cli-progress';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Netns } from '../src/backends/netns/netns.js';
import { exec } from '../src/backends/netns/exec.js';
import { renderNftJson } from '../src/backends/nft/render-json.js';
import { importNftJson } from '../src/frontends/nft-json/index.js';
import { diffRulesets } from '../src/analyses/diff.js';
import { apply, intentFrom, readOwned, verify, type Intent } from '../src/backends/gateway/index.js';
import { ownedCheck } from '../src/backends/gateway/watch.js';
import { runBatch } from '../src/backends/gateway/nft-run.js';
import type { Ruleset } from '../src/model/ruleset.js';

const RULES = Number(process.argv[2] ?? 10_000);
const RUNS = 3;
const TABLE = 'liqo-bench';
const RESULTS = new URL('./results/', import.meta.url).pathname;
const BIN = fileURLToPath(new URL('../bin/nftlens.js', import.meta.url));

function octets(i: number, base: number): string {
  return `10.${base + ((i >> 16) & 0xff)}.${(i >> 8) & 0xff}.${i & 0xff}`;
}

/** The table as nft JSON text, so that it goes through the same front end as any input. */
function liqoStyle(n: number): string {
  const items: object[] = [
    { table: { family: 'ip', name: TABLE } },
    { chain: { family: 'ip', table: TABLE, name: 'forward-filter', type: 'filter', hook: 'forward', prio: 0, policy: 'drop' } },
  ];
  const ifs = ['liqo-tunnel', 'eth0', 'liqo.abcdefghij', 'liqo.klmnopqrst'];
  for (let i = 0; i < n; i++) {
    items.push({
      rule: {
        family: 'ip', table: TABLE, chain: 'forward-filter', comment: `allow-${i}`, expr: [
          { match: { op: '==', left: { meta: { key: 'iifname' } }, right: ifs[i % ifs.length] } },
          { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: octets(i, 100).replace(/\.\d+$/, '.0'), len: 24 } } } },
          { match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: octets(i, 42) } },
          { counter: null },
          { accept: null },
        ],
      },
    });
  }
  return JSON.stringify({ nftables: items });
}

/** CPU ms of this process plus its waited-for children (nft runs there): /proc/self/stat utime…cstime. */
function cpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((n, i) => n + Number(f[i]), 0);
  return (ticks * 1000) / 100;
}

/** Median wall time of RUNS runs, and the CPU time (own + children) of that same run. */
async function median(fn: () => Promise<unknown>, before?: () => Promise<unknown>): Promise<{ ms: number; cpu: number }> {
  const runs: { ms: number; cpu: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    await before?.();
    const c = cpuMs();
    const t = performance.now();
    await fn();
    runs.push({ ms: performance.now() - t, cpu: cpuMs() - c });
  }
  return runs.sort((a, b) => a.ms - b.ms)[Math.floor(RUNS / 2)]!;
}

interface Row {
  what: string;
  ms: number;
  cpu: number;
  target?: number;
  baseline?: string;
  ratio?: number;
}

const input = liqoStyle(RULES);
const scratch = mkdtempSync(join(tmpdir(), 'nftlens-gwbench-'));
const inputFile = join(scratch, 'liqo-bench.json');
writeFileSync(inputFile, input);
const ruleset: Ruleset = importNftJson(input, 'bench').ruleset;
const intent: Intent = intentFrom({ ruleset, diagnostics: [], resources: [], files: ['bench'] });
const rendered = renderNftJson(ruleset).nftables.slice(1);
const ns = await Netns.create('gwbench');
const rows: Row[] = [];
const STEPS = 17;
const bar = new cliProgress.SingleBar({ format: 'gateway {bar} {value}/{total} operations', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
bar.start(STEPS, 0);
function record(row: Row): void {
  rows.push(row);
  bar.increment();
}
try {
  const run = { netns: ns.name };
  const flush = () => ns.nft(['flush', 'ruleset']);
  const rawLoad = await median(async () => {
    const r = await runBatch(rendered, run);
    if (r.code !== 0) throw new Error(r.stderr);
  }, flush);
  const rawList = await median(() => exec('nft', ['-j', 'list', 'table', 'ip', TABLE], run));
  record({ what: `raw \`nft -j -f\` load of the table (baseline)`, ...rawLoad });
  record({ what: `raw \`nft -j list table\` (baseline)`, ...rawList });
  // What nft alone costs for the other ways of listing, and for the start check's commands.
  const nftAlone: [string, string[]][] = [
    ['nft alone: `nft list table` (text; names would go on nft\'s command line or in an nft script)', ['list', 'table', 'ip', TABLE]],
    ['nft alone: `nft -j -t list table` (terse: set elements left out)', ['-j', '-t', 'list', 'table', 'ip', TABLE]],
    ['nft alone: `nft -j list chain` of the 10k-rule chain', ['-j', 'list', 'chain', 'ip', TABLE, 'forward-filter']],
    ['nft alone: `nft -j list tables` (names only; nft walks the whole ruleset)', ['-j', 'list', 'tables']],
    ['nft alone: `nft -j list flowtables` (the JSON start check)', ['-j', 'list', 'flowtables']],
    ['nft alone: `nft --version`', ['--version']],
  ];

  const applyMs = await median(async () => {
    const r = await apply(intent, run);
    if (r.failure || !r.written || !r.verify?.inSync) throw new Error(`apply: ${JSON.stringify(r.failure)}`);
  }, flush);
  record({ what: 'apply + verify (fresh namespace: one transaction, read back, compare)', ...applyMs, target: 3000, baseline: 'raw load', ratio: applyMs.ms / rawLoad.ms });

  const noop = await median(async () => {
    const r = await apply(intent, run);
    if (r.written) throw new Error('a converged apply wrote');
  });
  record({ what: 'converged no-op apply (start check, list owned, plan: nothing to write)', ...noop, target: 1000, baseline: 'raw list', ratio: noop.ms / rawList.ms });
  for (const [what, args] of nftAlone) {
    const m = await median(() => exec('nft', args, run));
    record({ what, ...m, baseline: 'raw list', ratio: m.ms / rawList.ms });
  }
  const verifyMs = await median(async () => {
    if (!(await verify(intent, run)).inSync) throw new Error('not in sync');
  });
  record({ what: 'converged `verify` (start check, list owned, compare)', ...verifyMs, target: 1000, baseline: 'raw list', ratio: verifyMs.ms / rawList.ms });
  const ids = [`ip ${TABLE}`];
  const check = ownedCheck(intent, run);
  const watchCheck = await median(async () => {
    if (!(await check()).inSync) throw new Error('not in sync');
  });
  record({ what: "watch's periodic check (list owned, compare with the intent rendered once)", ...watchCheck, target: 1000, baseline: 'raw list', ratio: watchCheck.ms / rawList.ms });

  // The CLI end to end, each a fresh process that reads and parses the 10k-rule input.
  const cli = (args: string[]) => async () => {
    const r = await exec(process.execPath, [BIN, ...args, '-f', inputFile]);
    if (r.code !== 0) throw new Error(`nftlens ${args[0]} exited ${r.code}: ${r.stderr}`);
  };
  const validate = await median(cli(['validate']));
  record({ what: '`nftlens validate` (fresh process: read and parse the input; baseline)', ...validate });
  const cliVerify = await median(cli(['verify', '--netns', ns.name]));
  record({ what: '`nftlens verify` (fresh process: parse, start check, list, compare)', ...cliVerify, baseline: 'validate + raw list', ratio: cliVerify.ms / (validate.ms + rawList.ms) });
  const cliApply = await median(cli(['apply', '--netns', ns.name]));
  record({ what: '`nftlens apply`, converged (fresh process)', ...cliApply, baseline: 'validate + raw list', ratio: cliApply.ms / (validate.ms + rawList.ms) });

  const state = await readOwned(ids, { ...run, owner: 'nftlens' });
  const kernel = state.owned.get(ids[0]!)!.table!;
  const semantic = await median(async () => {
    const d = diffRulesets({ tables: [ruleset.tables[0]!] }, { tables: [kernel] });
    if (d.changes.length) throw new Error('semantic diff found changes');
  });
  record({ what: 'exact semantic verify: policy diff of intent and kernel table (forced)', ...semantic, target: 1000, baseline: 'raw list', ratio: semantic.ms / rawList.ms });

  // One rule changed by hand (same comment): structure differs, the exact diff names the packets.
  const listed = JSON.parse(await ns.nft(['-j', 'list', 'chain', 'ip', TABLE, 'forward-filter'])) as { nftables: { rule?: { handle: number; comment: string } }[] };
  const victim = listed.nftables.filter((o) => o.rule)[Math.floor(RULES / 2)]!.rule!;
  await ns.nft(['replace', 'rule', 'ip', TABLE, 'forward-filter', 'handle', String(victim.handle), 'meta', 'iifname', 'eth9', 'counter', 'accept', 'comment', JSON.stringify(victim.comment)]);
  let witnesses = 0;
  const drifted = await median(async () => {
    const v = await verify(intent, run);
    if (v.inSync) throw new Error('drift not seen');
    witnesses = v.tables[0]!.semantic.length;
  });
  record({ what: `drifted \`verify\` (1 rule replaced: structural + exact diff, ${witnesses} change group(s) with witnesses)`, ...drifted, baseline: 'raw list', ratio: drifted.ms / rawList.ms });
} finally {
  bar.stop();
  await ns.dispose();
  rmSync(scratch, { recursive: true, force: true });
}

const fmt = (x: number) => x.toFixed(0);
const md = [
  `# Gateway applier benchmark`,
  '',
  `Command: \`npm run bench:gateway\` — ${new Date().toISOString().slice(0, 16)}Z, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}.`,
  `One Liqo-style table of ${RULES} rules (forward chain, policy drop; \`iifname\`, \`ip saddr\` /24, \`ip daddr\`, counter, accept, comment), in a throwaway network namespace. Medians of ${RUNS} runs; baselines measured in the same run.`,
  '',
  '| operation | time (ms) | CPU (ms, with nft) | target (ms) | ratio to baseline |',
  '|---|---:|---:|---:|---|',
  ...rows.map((r) => `| ${r.what} | ${fmt(r.ms)} | ${fmt(r.cpu)} | ${r.target ?? ''} | ${r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}× ${r.baseline}`} |`),
  '',
  `- Load average at the end of the run: ${loadavg().map((x) => x.toFixed(1)).join(' / ')} on ${cpus().length} cores (the machine may be shared: figures are upper bounds).`,
  '',
].join('\n');
process.stdout.write(md);
mkdirSync(RESULTS, { recursive: true });
writeFileSync(`${RESULTS}gateway.md`, md);
writeFileSync(`${RESULTS}gateway.json`, JSON.stringify({ rules: RULES, runs: RUNS, rows, loadavg: loadavg() }, null, 2) + '\n');
