// `meta pkttype` in the analyses: the link-layer packet type is a dimension of the header space
// (host, broadcast, multicast), every frame past the routing decision is unicast to the host (a
// broadcast or multicast frame that would be forwarded is dropped there, as the engine says), and
// the real NixOS ruleset, which matches it, is analysed.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findAnomalies } from '../../src/analyses/anomalies.js';
import { diffRulesets } from '../../src/analyses/diff.js';
import { symbolicAnalysis } from '../../src/analyses/symbolic/index.js';
import { importNftJson } from '../../src/frontends/nft-json/index.js';
import type { Ruleset } from '../../src/model/ruleset.js';
import { sharedCorpus } from '../support/corpus.js';
import { chain, checkWitness, m, rule } from './support.js';

const ENV = { localAddresses: ['10.0.0.2'] };

/** One inet table with these base chains. */
const tables = (...chains: ReturnType<typeof chain>[]): Ruleset => ({ tables: [{ family: 'inet', name: 'f', origin: { table: 'inet f' }, chains }] });

describe('meta pkttype in the analyses', () => {
  it('a forward rule for broadcast frames is unreachable: the kernel forwards none', () => {
    const rs = tables(chain('fwd', [
      rule('bcast', [m('meta pkttype', 'broadcast')], 'accept'),
      rule('web', [m('meta l4proto', 6), m('th dport', 80)], 'accept'),
    ], { type: 'filter', hook: 'forward', priority: 0, policy: 'drop' }));
    const rep = findAnomalies(symbolicAnalysis(rs, ENV));
    expect(rep.findings.map((f) => [f.kind, f.subject?.origin.rule, f.message])).toEqual([
      ['unreachable', 'bcast', 'forward: no packet it would match reaches its chain at forward'],
    ]);
  });

  it('at input a broadcast frame to the host is matched, and the witness is a broadcast frame', () => {
    const rs = tables(chain('in', [
      rule('frames', [m('meta pkttype', { set: ['broadcast', 'multicast'] })], 'drop'),
      rule('bcast', [m('meta pkttype', 'broadcast'), m('meta l4proto', 17)], 'accept'),
    ], { type: 'filter', hook: 'input', priority: 0, policy: 'accept' }));
    const rep = findAnomalies(symbolicAnalysis(rs, ENV));
    const f = rep.findings.find((x) => x.subject?.origin.rule === 'bcast')!;
    expect(f).toMatchObject({ kind: 'shadowed', witness: { pktType: 'broadcast', l4proto: 17 } });
    expect(f.space!.join(' ')).toContain('pkttype broadcast');
    checkWitness(rs, f, ENV);
  });

  it('the diff after prerouting: a frame the chain accepted is dropped at the routing decision', () => {
    const pre = (rules: ReturnType<typeof rule>[]) => tables(chain('pre', rules, { type: 'filter', hook: 'prerouting', priority: 0, policy: 'accept' }));
    const before = pre([rule('frames', [m('meta pkttype', { set: ['broadcast', 'multicast'] })], 'drop')]);
    const after = pre([]);
    // By verdict: only frames to the host change (forwarded ones are dropped either way).
    const d = diffRulesets(before, after, ENV);
    expect(d.changes.map((c) => [c.before.verdict, c.after.verdict, c.witness.pktType, c.witness.daddr])).toEqual([['drop', 'accept', 'broadcast', '10.0.0.2']]);
    // By rule: the forwarded frames change decider, from the rule to the routing decision.
    const byRule = diffRulesets(before, after, { ...ENV, byRule: true });
    expect(byRule.changes.map((c) => [c.before.decidedBy, c.after.decidedBy, c.after.verdict]).sort()).toEqual([
      ['inet f pre rule frames', 'inet f pre policy accept', 'accept'],
      ['inet f pre rule frames', 'the routing decision', 'drop'],
    ].sort());
  });

  const NIXOS = sharedCorpus('fixtures/nftables/real-world/');
  it.skipIf(!NIXOS)('the NixOS node\'s ruleset (meta pkttype, and ct status in KUBE-FIREWALL) is analysed, every witness checked', () => {
    const file = join(NIXOS!, 'nixos-tailscale-k8s-iptables-nft.json');
    const { ruleset, diagnostics } = importNftJson(JSON.parse(readFileSync(file, 'utf8')), file);
    expect(diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
    const fields = new Set(ruleset.tables.flatMap((t) => t.chains.flatMap((c) => c.rules.flatMap((r) => r.exprs.flatMap((e) => (e.kind === 'match' ? [e.field] : []))))));
    expect(fields.has('meta pkttype') && fields.has('ct status')).toBe(true);
    const rep = findAnomalies(symbolicAnalysis(ruleset));
    expect(rep.rules).toBeGreaterThan(50);
    for (const f of rep.findings) checkWitness(ruleset, f);
  });
});
