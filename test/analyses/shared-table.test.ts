// One meaning for two resources naming one kernel table (labels differ, so Liqo admits both): the
// front end builds the one table Liqo's gateway leaves (the later reconciled over the earlier), and
// eval, analyze (table-clash, tenant overlaps), isolation and the nft renderer all read that table.
import { describe, expect, it } from 'vitest';
import { parseFirewallConfigurations } from '../../src/frontends/liqo/index.js';
import { compileRuleset, parsePacket } from '../../src/engine/index.js';
import { ruleLabel } from '../../src/engine/result.js';
import { symbolicAnalysis } from '../../src/analyses/symbolic/index.js';
import { findConflicts } from '../../src/analyses/conflicts.js';
import { checkIsolation, parseTenants } from '../../src/analyses/isolation.js';
import { renderNftJson } from '../../src/backends/nft/render-json.js';
import { SHARED_TABLE_TEXT } from '../support/liqo-doc.js';

const loaded = parseFirewallConfigurations(SHARED_TABLE_TEXT, 'shared.yaml');
const pkt = (daddr: string) => parsePacket(`tcp 10.0.0.1:1000 -> ${daddr}:80 iif eth0 oif eth1`);

describe('two resources, one kernel table: every view agrees', () => {
  it('the model: one table, naples’s rule only, a warning naming both resources', () => {
    expect(loaded.ruleset.tables).toHaveLength(1);
    expect(loaded.ruleset.tables[0]!.chains.map((c) => c.rules.map((r) => `${r.comment}@${r.origin.resource}`))).toEqual([['block@liqo/naples']]);
    expect(loaded.diagnostics.filter((d) => d.code === 'LIQO_SHARED_TABLE').map((d) => d.message)).toEqual([
      expect.stringMatching(/^table ip shared is also named by resource liqo\/venice .*nftlens models the table as liqo\/naples, applied last, leaves it/),
    ]);
  });

  it('eval: naples’s block decides for 10.42.0.5; venice’s rules are gone (policy for .6 and .7)', () => {
    const c = compileRuleset(loaded.ruleset);
    const five = c.evaluate(pkt('10.42.0.5'));
    expect([five.verdict, five.by, ruleLabel(c.plan, five.rule!)]).toEqual(['drop', 'rule', 'ip shared filt rule block']);
    expect(c.plan.rules[five.rule!]!.rule.origin.resource).toBe('liqo/naples');
    for (const d of ['10.42.0.6', '10.42.0.7']) expect(c.evaluate(pkt(d))).toMatchObject({ verdict: 'accept', by: 'policy' });
  });

  it('analyze: table-clash names both resources and says which table is analysed', () => {
    const findings = findConflicts(symbolicAnalysis(loaded.ruleset), loaded.resources);
    const clash = findings.filter((f) => f.kind === 'table-clash');
    expect(clash).toHaveLength(1);
    expect(clash[0]!.message).toBe('resources liqo/venice and liqo/naples both name table ip shared: a gateway that applies both keeps one kernel table, ' +
      'and reconciling liqo/naples deletes the chains and rules of liqo/venice it does not have itself; the table analysed is the one liqo/naples, applied last, leaves');
    expect(clash[0]!.origin).toMatchObject({ resource: 'liqo/naples', field: 'spec.table.name' });
    expect(clash[0]!.related).toMatchObject([{ label: 'resource liqo/venice', origin: { resource: 'liqo/venice' } }]);
  });

  it('isolation: 10.42.0.6 is reachable (venice’s drop is gone), 10.42.0.5 is not — as eval says', () => {
    const tenants = parseTenants('tenants: { a: { sources: [10.0.0.0/24], destinations: [10.0.0.0/24] }, b: { sources: [10.42.1.0/24], destinations: [10.42.0.5/32, 10.42.0.6/32] } }', 't.yaml');
    const r = checkIsolation(loaded.ruleset, tenants);
    const ab = r.breaches.filter((b) => b.from === 'a' && b.to === 'b');
    expect(ab).toHaveLength(1);
    expect(ab[0]!.witness.daddr).toBe('10.42.0.6');
    expect(compileRuleset(loaded.ruleset).evaluate(ab[0]!.witness).verdict).toBe('accept');
  });

  it('render: one table, replaced once, holding naples’s rule', () => {
    const cmds = renderNftJson(loaded.ruleset).nftables as Record<string, Record<string, unknown>>[];
    expect(cmds.filter((c) => c.delete?.table)).toHaveLength(1);
    expect(cmds.filter((c) => c.add?.chain)).toHaveLength(1);
    expect(cmds.flatMap((c) => (c.add?.rule ? [(c.add.rule as { comment: string }).comment] : []))).toEqual(['block']);
  });
});
