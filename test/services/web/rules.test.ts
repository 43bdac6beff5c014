// The rule listing the page draws: every chain and rule of the plan, with the ids traces carry.
import { describe, expect, it } from 'vitest';
import { loadRuleset } from '../../../src/frontends/load.js';
import { compileRuleset, parsePacket } from '../../../src/engine/index.js';
import { listRules } from '../../../src/services/web/rules.js';

describe('listRules', () => {
  it('lists the tables, chains and rules of the embedded examples with their names, origins and nft text', async () => {
    const { ruleset } = await loadRuleset([]);
    const c = compileRuleset(ruleset);
    const listing = listRules(c.plan);
    expect(listing.tables.map((t) => `${t.family} ${t.name} ${t.resource}`)).toEqual(
      ruleset.tables.map((t) => `${t.family} ${t.name} ${t.origin.resource}`));
    const rules = listing.tables.flatMap((t) => t.chains.flatMap((ch) => ch.rules));
    expect(rules.map((r) => r.id)).toEqual(c.plan.rules.map((r) => r.id));
    const venice = rules.find((r) => r.name === 'allow-venice-to-10-42-1-15')!;
    expect(venice.text).toBe('meta iifname "liqo-tunnel" ip saddr 10.112.0.0/16 ip daddr 10.42.1.15 counter accept');
    expect(venice.origin).toMatchObject({ resource: 'liqo/provider-protection', chain: 'offloaded-pods-only' });
    const chain = listing.tables[0]!.chains[0]!;
    expect(chain.base).toMatchObject({ type: 'filter', hook: 'forward', policy: 'drop' });

    // The id an evaluation reports is the id of the listed rule of that name.
    const r = c.evaluate(parsePacket('tcp 10.112.0.5:40000 -> 10.42.1.15:80 iif liqo-tunnel oif eth0 ct new'));
    expect(r.by).toBe('rule');
    expect(rules.find((x) => x.id === r.rule)!.name).toBe('allow-venice-to-10-42-1-15');
  });

  it('lists nft rules by handle, and gives null text where nft text cannot carry a rule', () => {
    const origin = { file: 'x.json', table: 'ip t', chain: 'c' };
    const c = compileRuleset({ tables: [{ family: 'ip', name: 't', origin, chains: [
      { name: 'c', origin, base: { type: 'filter', hook: 'forward', priority: 0, policy: 'accept' }, rules: [
        { handle: 7, origin: { ...origin, rule: 'handle 7' }, exprs: [], verdict: { kind: 'drop', origin } },
        { origin, exprs: [{ kind: 'match', field: 'meta iifname', op: '==', value: 'bad"name', origin }], verdict: { kind: 'accept', origin } },
      ] },
    ] }] });
    const [a, b] = listRules(c.plan).tables[0]!.chains[0]!.rules;
    expect(a).toMatchObject({ id: 0, name: 'handle 7', text: 'drop' });
    expect(b).toMatchObject({ id: 1, name: '#2', text: null });
  });
});
