// Witnesses against the kernel: every witness packet the analyses produce for the valid Liqo
// fixtures (anomalies, conflicts, isolation with the example tenants) and for 50 seeded random
// rulesets, 20 seeded chains of boxes and 12 over the wider dimensions (interfaces, marks, ct
// state and mark, IPv6) (anomalies, and the diff against a one-rule mutation: the chains of boxes
// through the geometric core) is sent through a real gateway
// namespace by the probe; the kernel must do to it what the engine says (the engine's claims
// about each witness are checked in the other tests of this folder). One shared topology.
// No witness is dropped before the probe: those it cannot send (ct mark on a new flow, a SYN in an
// established flow, 0.0.0.1 — the analyses pick the most readable packet, not a sendable one) are
// counted as skipped. Every case gets generated packets too, so a case whose analyses find nothing
// still probes something — and those cases are named: any other case must yield witnesses.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noKernel } from '../support/kernel.js';
import { sharedCorpus } from '../support/corpus.js';
import { loadRuleset } from '../../src/frontends/load.js';
import { findAnomalies } from '../../src/analyses/anomalies.js';
import { findConflicts } from '../../src/analyses/conflicts.js';
import { diffRulesets } from '../../src/analyses/diff.js';
import { checkIsolation, parseTenants } from '../../src/analyses/isolation.js';
import { symbolicAnalysis } from '../../src/analyses/symbolic/index.js';
import type { Packet } from '../../src/engine/packet.js';
import type { Ruleset } from '../../src/model/ruleset.js';
import { probe } from '../../src/probe/probe.js';
import { realise } from '../../src/probe/realise.js';
import { generatePackets } from '../../src/probe/generate.js';
import { formatReport } from '../../src/probe/report.js';
import { Topology } from '../../src/probe/topology.js';
import { randomRuleset } from '../probe/random-ruleset.js';
import { arbChain, arbWideChain, chainRuleset, installable, installableWide, wideRuleset, type RandomRule } from './geometric/random-chain.js';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));
const LIQO = sharedCorpus('fixtures/liqo/valid');
const tenants = parseTenants(readFileSync(resolve(here, '../../examples/tenants'), 'utf8'), 'examples/tenants');

interface Case { name: string; ruleset: Ruleset; witnesses: Packet[]; packets: Packet[] }

/** The cases whose analyses find nothing (no anomaly, conflict, breach or change). */
const NO_FINDINGS = new Set(['liqo/valid/provider-protect-multi-consumer.yaml', 'random ruleset #309', 'random ruleset #327', 'chain of boxes #3', 'chain of boxes #7']);
/** Generated packets added to every case. */
const GENERATED = 20;
/**
 * The least share of each case's packets the probe must compare: most witnesses cannot be sent in
 * some cases (random ruleset #305: 6 of 8 carry a ct mark on a new flow or 0.0.0.1).
 */
const MIN_SHARE = 0.5;

function makeCase(name: string, ruleset: Ruleset, extra: Packet[], seed: number): Case {
  const a = symbolicAnalysis(ruleset);
  const witnesses = [...findAnomalies(a, { describeLines: 0 }).findings.flatMap((f) => (f.witness ? [f.witness] : [])), ...extra];
  return { name, ruleset, witnesses, packets: [...witnesses, ...generatePackets(ruleset, { random: GENERATED, seed })] };
}

const cases: Case[] = [];
for (const f of (LIQO ? readdirSync(LIQO) : []).filter((x) => /\.ya?ml$/.test(x)).sort()) {
  const loaded = await loadRuleset([join(LIQO!, f)]);
  const a = symbolicAnalysis(loaded.ruleset);
  const extra = [
    ...findConflicts(a, loaded.resources).flatMap((x) => (x.witness ? [x.witness] : [])),
    ...checkIsolation(loaded.ruleset, tenants).breaches.map((b) => b.witness),
  ];
  cases.push(makeCase(`liqo/valid/${f}`, loaded.ruleset, extra, cases.length + 1));
}
for (let seed = 301; seed <= 350; seed++) {
  const ruleset = randomRuleset(seed, { sets: false, pkttype: true });
  const mutated: Ruleset = structuredClone(ruleset);
  const chains = mutated.tables.flatMap((t) => t.chains).filter((c) => c.rules.length);
  chains[seed % chains.length]!.rules.splice(0, 1);
  const diff = diffRulesets(ruleset, mutated).changes.map((c) => c.witness);
  cases.push(makeCase(`random ruleset #${seed}`, ruleset, diff, seed));
}

/** A chain case: its anomalies, and the diff against the chain with one verdict flipped. */
function flipCase<C extends { rules: RandomRule[] }>(name: string, c: C, build: (c: C) => Ruleset, seed: number): void {
  const ruleset = build(c);
  const flipped = structuredClone(c);
  const r = flipped.rules.find((x) => x.verdict !== undefined) ?? flipped.rules[0]!;
  r.verdict = r.verdict === 'drop' ? 'accept' : 'drop';
  const diff = diffRulesets(ruleset, build(flipped)).changes.map((x) => x.witness);
  cases.push(makeCase(name, ruleset, diff, seed));
}

// Chains of boxes: analysed (and diffed) by the geometric core; then over the wider dimensions
// (interfaces, marks, ct state and mark, IPv6 addresses).
// meta pkttype: broadcast and multicast frames at prerouting, and a forward rule for them that
// nothing reaches (the routing decision drops such frames); the diff against the drop made accept.
{
  const O = {};
  const pkttype = (v: string | { set: string[] }, verdict?: 'accept' | 'drop') => ({
    exprs: [{ kind: 'match' as const, field: 'meta pkttype' as const, op: '==' as const, value: v, origin: O }, { kind: 'counter' as const, origin: O }],
    ...(verdict ? { verdict: { kind: verdict, origin: O } } : {}), origin: O,
  });
  const frames = (first: 'accept' | 'drop'): Ruleset => ({ tables: [{ family: 'inet', name: 'frames', origin: O, chains: [
    { name: 'pre', base: { type: 'filter', hook: 'prerouting', priority: 0, policy: 'accept' }, origin: O, rules: [pkttype('broadcast', first), pkttype({ set: ['multicast'] })] },
    { name: 'fwd', base: { type: 'filter', hook: 'forward', priority: 0, policy: 'accept' }, origin: O, rules: [pkttype({ set: ['broadcast', 'multicast'] }, 'drop')] },
  ] }] });
  cases.push(makeCase('meta pkttype', frames('drop'), diffRulesets(frames('drop'), frames('accept'), { byRule: true }).changes.map((c) => c.witness), 7000));
}

// ct status: a dnat in prerouting, then forward rules on the status bits (DST_NAT where the dnat
// changed the tuple, DST_NAT_DONE, a whole value), each with a verdict; the diff against a flipped one.
{
  const O = {};
  const st = (value: number, mask: number | undefined, op: '==' | '!=', verdict: 'accept' | 'drop') => ({
    exprs: [{ kind: 'match' as const, field: 'ct status' as const, op, value, ...(mask === undefined ? {} : { mask }), origin: O }, { kind: 'match' as const, field: 'meta l4proto' as const, op: '==' as const, value: 6, origin: O }, { kind: 'counter' as const, origin: O }],
    verdict: { kind: verdict, origin: O }, origin: O,
  });
  const statusRuleset = (first: 'accept' | 'drop'): Ruleset => ({ tables: [{ family: 'ip', name: 'status', origin: O, chains: [
    { name: 'nat', base: { type: 'nat', hook: 'prerouting', priority: -100, policy: 'accept' }, origin: O, rules: [{
      exprs: [{ kind: 'match', field: 'ip daddr', op: '==', value: '10.0.3.7', origin: O }, { kind: 'match', field: 'meta l4proto', op: '==', value: 6, origin: O }, { kind: 'nat', type: 'dnat', to: '10.0.3.8', origin: O }], origin: O,
    }] },
    { name: 'fwd', base: { type: 'filter', hook: 'forward', priority: 0, policy: 'accept' }, origin: O, rules: [
      st(0x20, 0x20, '==', first), st(0x100, 0x100, '!=', 'drop'), st(0x10a, undefined, '!=', 'accept'), st(0x20, 0x20, '==', 'drop'),
    ] },
  ] }] });
  cases.push(makeCase('ct status', statusRuleset('accept'), diffRulesets(statusRuleset('accept'), statusRuleset('drop'), { byRule: true }).changes.map((c) => c.witness), 7100));
}

fc.sample(arbChain, { seed: 4242, numRuns: 20 }).map(installable).forEach((c, k) => flipCase(`chain of boxes #${k}`, c, (x) => chainRuleset(x), 5000 + k));
fc.sample(arbWideChain, { seed: 4343, numRuns: 12 }).map(installableWide).forEach((c, k) => flipCase(`wide chain of boxes #${k}`, c, wideRuleset, 6000 + k));

describe.skipIf(noKernel)('witnesses against the kernel (probe)', () => {
  let topology: Topology;
  beforeAll(async () => {
    const names = new Set<string>();
    for (const c of cases) for (const p of c.packets) if (realise(p).ok) names.add(p.iifname).add(p.oifname);
    topology = await Topology.create({ interfaces: [...names], prefix: 'wit' });
  }, 120_000);
  afterAll(async () => {
    await topology?.dispose();
  });

  it('the analyses produce witnesses to probe', () => {
    expect(cases.reduce((n, c) => n + c.witnesses.length, 0)).toBeGreaterThan(100);
    const named = cases.map((c) => c.name);
    expect(cases.filter((c) => c.witnesses.length === 0).map((c) => c.name)).toEqual([...NO_FINDINGS].filter((n) => named.includes(n)));
  });

  let witnessesCompared = 0;
  for (const c of cases) {
    it(c.name, async () => {
      expect(c.witnesses.length > 0, 'witnesses, or named among the cases with no findings').toBe(!NO_FINDINGS.has(c.name));
      const report = await probe(c.ruleset, c.packets, { topology, minCompared: MIN_SHARE });
      expect(report.ok, formatReport(report)).toBe(true);
      witnessesCompared += report.packets.filter((o) => o.role === 'probe' && o.index < c.witnesses.length && o.status !== 'skipped').length;
    }, 60_000);
  }

  it('compares most witnesses with the kernel', () => {
    const total = cases.reduce((n, c) => n + c.witnesses.length, 0);
    expect(witnessesCompared / total).toBeGreaterThan(0.6);
  });
});
