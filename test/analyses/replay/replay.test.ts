// Replay against a baseline/proposal pair whose changes are known by construction: flows drawn
// from the PRNG over addresses and ports the rules tell apart; what each policy does to a flow is
// computed here from the rules' plain meaning (not by the engine), so the report's counts per
// deciding rule and per change, packets included, must come out exactly; every witness, evaluated
// by itself, changes as its group says. One thread and the worker pool must give the same report.
import { describe, expect, it } from 'vitest';
import { prng } from '../../../src/model/prng.js';
import { compileRuleset, parsePacket } from '../../../src/engine/index.js';
import { loadRuleset } from '../../../src/frontends/load.js';
import type { ReplayReport } from '../../../src/analyses/replay/report.js';
import { cli } from '../../support/cli.js';
import { tempFile } from '../../support/flows.js';

const rule = (handle: number, expr: unknown[]) => ({ rule: { family: 'inet', table: 'gw', chain: 'fwd', handle, expr } });
const match = (protocol: string, field: string, right: unknown) => ({ match: { op: '==', left: { payload: { protocol, field } }, right } });
const net = (addr: string, len: number) => ({ prefix: { addr, len } });
const policy = (rules: unknown[]) => JSON.stringify({ nftables: [
  { metainfo: { json_schema_version: 1 } },
  { table: { family: 'inet', name: 'gw', handle: 1 } },
  { chain: { family: 'inet', table: 'gw', name: 'fwd', handle: 1, type: 'filter', hook: 'forward', prio: 0, policy: 'drop' } },
  ...rules,
] });
const web = rule(2, [match('ip', 'daddr', net('10.42.0.0', 16)), match('tcp', 'dport', 80), { accept: null }]);
const tls = rule(3, [match('ip', 'daddr', net('10.42.0.0', 16)), match('tcp', 'dport', 443), { accept: null }]);
const dns = rule(4, [match('udp', 'dport', 53), { accept: null }]);
const block = rule(5, [match('ip', 'saddr', net('10.66.0.0', 16)), { drop: null }]);
const ssh = rule(6, [match('ip', 'daddr', net('10.42.7.0', 24)), match('tcp', 'dport', 22), { accept: null }]);
const BASELINE = tempFile(policy([web, tls, dns]), 'baseline.json');
const PROPOSAL = tempFile(policy([block, web, dns, ssh]), 'proposal.json');

interface F { s: string; d: string; proto: 'tcp' | 'udp'; sport: number; dport: number; packets: number }
const in16 = (a: string, p: string) => a.startsWith(p);
/** The baseline's and the proposal's deciding rule handle (0: the policy) for a flow, from the rules' meaning. */
const baseline = (f: F) => (in16(f.d, '10.42.') && f.proto === 'tcp' && f.dport === 80 ? 2 : in16(f.d, '10.42.') && f.proto === 'tcp' && f.dport === 443 ? 3 : f.proto === 'udp' && f.dport === 53 ? 4 : 0);
const proposal = (f: F) => (in16(f.s, '10.66.') ? 5 : in16(f.d, '10.42.') && f.proto === 'tcp' && f.dport === 80 ? 2 : f.proto === 'udp' && f.dport === 53 ? 4 : in16(f.d, '10.42.7.') && f.proto === 'tcp' && f.dport === 22 ? 6 : 0);
const verdict = (h: number) => (h === 0 || h === 5 ? 'drop' : 'accept');

function flows(n: number, seed: number): F[] {
  const r = prng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: n }, () => ({
    s: `${pick(['10.112', '10.66', '10.1'])}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`,
    d: `${pick(['10.42.7', '10.42.3', '192.168.1'])}.${1 + Math.floor(r() * 254)}`,
    proto: pick(['tcp', 'udp'] as const),
    sport: 1024 + Math.floor(r() * 60000),
    dport: pick([80, 443, 22, 53, 8080]),
    packets: 1 + Math.floor(r() * 20),
  }));
}
const conntrackLine = (f: F) => `ipv4     2 ${f.proto}      ${f.proto === 'tcp' ? 6 : 17} 300 ${f.proto === 'tcp' ? 'ESTABLISHED ' : ''}src=${f.s} dst=${f.d} sport=${f.sport} dport=${f.dport} packets=${f.packets} bytes=${f.packets * 60} src=${f.d} dst=${f.s} sport=${f.dport} dport=${f.sport} packets=0 bytes=0 mark=0 use=1`;

describe('replay: a baseline/proposal pair with changes known by construction', () => {
  const list = flows(30_000, 15);
  const file = tempFile(list.map(conntrackLine).join('\n') + '\n', 'flows.txt');
  const jsonl = tempFile(list.map((f) => JSON.stringify({ src: f.s, dst: f.d, proto: f.proto, sport: f.sport, dport: f.dport, packets: f.packets, bytes: f.packets * 60 })).join('\n'), 'flows.jsonl');

  /** Expected flows and packets per (from, to, proposal handle) and per proposal handle. */
  const changes = new Map<string, { flows: number; packets: number }>();
  const deciders = new Map<number, { flows: number; packets: number }>();
  for (const f of list) {
    const [b, p] = [baseline(f), proposal(f)];
    const d = deciders.get(p) ?? { flows: 0, packets: 0 };
    deciders.set(p, { flows: d.flows + 1, packets: d.packets + f.packets });
    if (verdict(b) === verdict(p)) continue;
    const k = `${verdict(b)}>${verdict(p)}>${p}`;
    const c = changes.get(k) ?? { flows: 0, packets: 0 };
    changes.set(k, { flows: c.flows + 1, packets: c.packets + f.packets });
  }
  const handleOf = (label: string) => (label.includes(' rule handle ') ? Number(label.split(' rule handle ')[1]) : 0);

  it('counts flows and packets per deciding rule, and the changes per rule responsible, exactly', async () => {
    const run = await cli(['replay', '-f', PROPOSAL, '--baseline', BASELINE, '--flows', file, '-o', 'json', '--top', '99', '--workers', '1']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const rep = JSON.parse(run.stdout) as ReplayReport;
    expect(rep.totals.flows).toBe(list.length);
    expect(rep.totals.packets).toBe(list.reduce((s, f) => s + f.packets, 0));
    expect(new Map(rep.deciders.map((d) => [handleOf(d.label), { flows: d.flows, packets: d.packets }]))).toEqual(deciders);
    const got = new Map(rep.changes!.top.map((g) => [`${g.from}>${g.to}>${handleOf(g.by.label)}`, { flows: g.flows, packets: g.packets }]));
    expect(got).toEqual(changes);
    expect([...changes.keys()].sort()).toEqual(['accept>drop>0', 'accept>drop>5', 'drop>accept>6']);
    expect(rep.changes!.flows).toBe([...changes.values()].reduce((s, c) => s + c.flows, 0));

    // Each witness, evaluated alone, gets the group's old and new verdict and deciding rule.
    const [old, now] = await Promise.all([BASELINE, PROPOSAL].map(async (f) => compileRuleset((await loadRuleset([f])).ruleset)));
    for (const g of rep.changes!.top) {
      const p = parsePacket(g.witness);
      const [a, b] = [old!.evaluate(p), now!.evaluate(p)];
      expect([a.verdict, b.verdict], g.witness).toEqual([g.from, g.to]);
      expect(b.by === 'rule' ? now!.plan.rules[b.rule!]!.rule.handle : 0).toBe(handleOf(g.by.label));
      expect(g.witnessAt).toMatch(/flows\.txt:\d+$/);
    }
  });

  it('gives the same report from the worker pool, and from JSON lines', async () => {
    const args = (flowsFile: string, workers: string) => ['replay', '-f', PROPOSAL, '--baseline', BASELINE, '--flows', flowsFile, '-o', 'json', '--workers', workers];
    const one = await cli(args(file, '1'));
    const pool = await cli(args(file, '2'));
    expect(pool.stderr).toBe('');
    expect(pool.stdout).toBe(one.stdout);
    const j1 = JSON.parse((await cli(args(jsonl, '1'))).stdout) as ReplayReport;
    const j2 = JSON.parse((await cli(args(jsonl, '2'))).stdout) as ReplayReport;
    const strip = (r: ReplayReport) => ({ ...r, format: '', changes: { ...r.changes!, top: r.changes!.top.map((g) => ({ ...g, witnessAt: '' })) } });
    expect(strip(j2)).toEqual(strip(j1));
    // JSON lines carry bytes as given, conntrack both directions' sums: the same numbers here.
    expect(strip(j1)).toEqual(strip(JSON.parse(one.stdout) as ReplayReport));
  }, 60_000);

  it('ends 0 without a baseline, and 0 when nothing changes', async () => {
    const r = await cli(['replay', '-f', PROPOSAL, '--flows', file, '--workers', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^replay: 30000 flow\(s\), \d+ packet\(s\) from conntrack: \d+ accepted, \d+ dropped, 0 rejected\n/);
    expect(r.stdout).toMatch(/DROP +\d+ flow\(s\) +\d+ packet\(s\)  by inet gw fwd rule handle 5 \(.*proposal\.json table inet gw, chain fwd, rule handle 5, field nftables\[3\]\.rule\)\n/);
    const same = await cli(['replay', '-f', PROPOSAL, '--baseline', PROPOSAL, '--flows', file, '--workers', '1']);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('changed: no flow changes fate\n');
  });

  it('counts the flows whose verdict depends on state (a limit, a numgen endpoint choice), in one thread and in the pool', async () => {
    const lb = new URL('../../../docs/examples/load-balancer.json', import.meta.url).pathname;
    const lines = [
      ...Array.from({ length: 7 }, (_, i) => ({ src: `10.1.0.${i + 1}`, dst: '10.244.1.5', proto: 'tcp', sport: 40000 + i, dport: 22, packets: 3, bytes: 180 })),
      ...Array.from({ length: 5 }, (_, i) => ({ src: `10.1.1.${i + 1}`, dst: '10.96.0.10', proto: 'tcp', sport: 41000 + i, dport: 80, packets: 2, bytes: 120 })),
      ...Array.from({ length: 4 }, (_, i) => ({ src: `10.1.2.${i + 1}`, dst: '10.244.1.5', proto: 'tcp', sport: 42000 + i, dport: 23, packets: 1, bytes: 60 })),
    ];
    const flowsFile = tempFile(lines.map((l) => JSON.stringify(l)).join('\n'), 'stateful.jsonl');
    const text = await cli(['replay', '-f', lb, '--flows', flowsFile, '--workers', '1']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('  12 flow(s), 31 packet(s) met stateful expressions');
    const reports = await Promise.all(['1', '2'].map(async (w) => JSON.parse((await cli(['replay', '-f', lb, '--flows', flowsFile, '-o', 'json', '--workers', w])).stdout) as ReplayReport));
    expect(reports[0]!.totals.dependOnState).toEqual({ flows: 12, packets: 31 });
    expect({ ...reports[1]!, format: '' }).toEqual({ ...reports[0]!, format: '' });
  });
});
