// Witnesses against the kernel: every witness packet the analyses produce for the valid Liqo
// fixtures (anomalies, conflicts, isolation with the example tenants) and for 50 seeded random
// rulesets and 20 seeded chains of boxes (anomalies, and the diff against a one-rule mutation:
// the chains of boxes through the geometric core) is sent through a real gateway
// namespace by the probe; the kernel must do to it what the engine says (the engine's claims
// about each witness are checked in the other tests of this folder). One shared topology.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noKernel } from '../support/kernel.js';
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
import { formatReport } from '../../src/probe/report.js';
import { Topology } from '../../src/probe/topology.js';
import { randomRuleset } from '../probe/random-ruleset.js';
import { arbChain, chainRuleset, installable } from './geometric/random-chain.js';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));
const LIQO = resolve(here, '../../../shared/fixtures/liqo/valid');
const tenants = parseTenants(readFileSync(resolve(here, '../../examples/tenants'), 'utf8'), 'examples/tenants');

interface Case { name: string; ruleset: Ruleset; packets: Packet[] }

function witnesses(ruleset: Ruleset, extra: Packet[] = []): Packet[] {
  const a = symbolicAnalysis(ruleset);
  const out = [...findAnomalies(a, { describeLines: 0 }).findings.flatMap((f) => (f.witness ? [f.witness] : [])), ...extra];
  return out.filter((p) => realise(p).ok);
}

const cases: Case[] = [];
for (const f of readdirSync(LIQO).filter((x) => /\.ya?ml$/.test(x)).sort()) {
  const loaded = await loadRuleset([join(LIQO, f)]);
  const a = symbolicAnalysis(loaded.ruleset);
  const extra = [
    ...findConflicts(a, loaded.resources).flatMap((x) => (x.witness ? [x.witness] : [])),
    ...checkIsolation(loaded.ruleset, tenants).breaches.map((b) => b.witness),
  ];
  cases.push({ name: `liqo/valid/${f}`, ruleset: loaded.ruleset, packets: witnesses(loaded.ruleset, extra) });
}
for (let seed = 301; seed <= 350; seed++) {
  const ruleset = randomRuleset(seed);
  const mutated: Ruleset = structuredClone(ruleset);
  const chains = mutated.tables.flatMap((t) => t.chains).filter((c) => c.rules.length);
  chains[seed % chains.length]!.rules.splice(0, 1);
  const diff = diffRulesets(ruleset, mutated).changes.map((c) => c.witness);
  cases.push({ name: `random ruleset #${seed}`, ruleset, packets: witnesses(ruleset, diff) });
}

// Chains of boxes: analysed (and diffed) by the geometric core.
fc.sample(arbChain, { seed: 4242, numRuns: 20 }).map(installable).forEach((c, k) => {
  const ruleset = chainRuleset(c);
  const flipped = structuredClone(c);
  const r = flipped.rules.find((x) => x.verdict !== undefined) ?? flipped.rules[0]!;
  r.verdict = r.verdict === 'drop' ? 'accept' : 'drop';
  const diff = diffRulesets(ruleset, chainRuleset(flipped)).changes.map((x) => x.witness);
  cases.push({ name: `chain of boxes #${k}`, ruleset, packets: witnesses(ruleset, diff) });
});

describe.skipIf(noKernel)('witnesses against the kernel (probe)', () => {
  let topology: Topology;
  beforeAll(async () => {
    const names = new Set<string>();
    for (const c of cases) for (const p of c.packets) names.add(p.iifname).add(p.oifname);
    names.delete('');
    topology = await Topology.create({ interfaces: [...names], prefix: 'wit' });
  }, 120_000);
  afterAll(async () => {
    await topology?.dispose();
  });

  it('the analyses produce witnesses to probe', () => {
    expect(cases.reduce((n, c) => n + c.packets.length, 0)).toBeGreaterThan(100);
  });

  // A fixture whose analyses find nothing has no witness to probe.
  for (const c of cases.filter((x) => x.packets.length > 0)) {
    it(c.name, async () => {
      const report = await probe(c.ruleset, c.packets, { topology });
      expect(report.ok, formatReport(report)).toBe(true);
    }, 60_000);
  }
});
