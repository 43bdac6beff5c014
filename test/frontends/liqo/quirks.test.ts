import { describe, expect, it } from 'vitest';
import { parseFirewallConfigurations } from '../../../src/frontends/liqo/index.js';
import type { Rule } from '../../../src/model/ruleset.js';
import { noLiqoFixtures, readFixture } from './fixtures.js';

const quirky = `apiVersion: networking.liqo.io/v1beta1
kind: FirewallConfiguration
metadata: {name: quirky, namespace: liqo}
spec:
  table:
    name: q
    family: IPV4
    chains:
    - name: f
      type: filter
      hook: forward
      policy: accept
      rules:
        filterRules:
        - {name: r1, counter: false, action: accept, match: [{op: neq, ip: {position: src, value: 10.0.0.1}, dev: {position: in, value: eth0}}]}
        - {name: r2, counter: false, action: accept, match: [{op: neq, proto: {value: tcp}}, {op: neq, port: {position: dst, value: 1024-65535}}]}
        - {name: r3, counter: false, action: accept, match: [{op: eq, proto: {value: udp}}, {op: eq, port: {position: dst, value: "99999"}}]}
        - {name: r5, counter: false, action: accept, match: [{op: eq, ip: {position: src, value: 10.42.1.5/16}}]}
        - {name: r7, counter: false, action: accept, match: [{op: eq, dev: {position: in, value: "liqo*"}}]}
        - {name: r9, counter: false, action: accept, match: [{op: eq, port: {position: dst, value: "53"}}]}
        - {name: r10, counter: false, action: reject, match: []}
        - {name: r11, counter: false, action: ctmark, value: "-1", match: []}
        - {name: r12, counter: false, action: metamarkfromctmark, value: "5", match: []}
        - {name: r13, counter: false, action: notrack, match: []}
        - {name: r14, counter: true, action: tcpmssclamp, value: "70000", match: [{op: eq, proto: {value: tcp}}]}
    - name: nat-out
      type: nat
      hook: postrouting
      policy: accept
      rules:
        natRules:
        - {name: n1, natType: snat, to: "", match: []}
        - {name: n2, natType: snat, to: 10.0.0.1-10.0.0.5, match: []}
`;

const inet = `apiVersion: networking.liqo.io/v1beta1
kind: FirewallConfiguration
metadata: {name: dual, namespace: liqo}
spec:
  table:
    name: d
    family: INET
    chains:
    - {name: i, type: filter, hook: input, policy: accept, rules: {filterRules: [{name: src, action: accept, match: [{op: eq, ip: {position: src, value: 10.0.0.0/8}}]}]}}
    - {name: nat, type: nat, hook: postrouting, policy: accept, rules: {natRules: [{name: s, natType: snat, to: 10.0.0.1, match: []}]}}
`;

function rulesByName(rules: Rule[]): Record<string, Rule> {
  return Object.fromEntries(rules.map((r) => [r.comment!, r]));
}

describe('quirk warnings: located, one per difference, model keeps the plain meaning', () => {
  const { ruleset, diagnostics } = parseFirewallConfigurations(quirky, 'q.yaml');
  const warnings = diagnostics.map((d) => [d.origin.rule, d.origin.field!.replace(/^spec\.table\.chains\[\d+\]\.rules\.\w+\[\d+\]\.?/, '')]);

  it('warns exactly where Liqo differs', () => {
    for (const d of diagnostics) {
      expect(d).toMatchObject({ code: 'LIQO_QUIRK', severity: 'warning', origin: { file: 'q.yaml', resource: 'liqo/quirky', table: 'ip q' } });
      expect(d.origin.line).toBeGreaterThan(0);
    }
    expect(warnings).toEqual([
      ['r1', 'match[0].op'],
      ['r2', 'match[0].proto'],
      ['r2', 'match[1].port.value'],
      ['r3', 'match[1].port.value'],
      ['r5', 'match[0].ip.value'],
      ['r7', 'match[0].dev.value'],
      ['r9', 'match[0].port'],
      ['r10', 'action'],
      ['r11', 'value'],
      ['r12', 'value'],
      ['r13', 'action'],
      ['r14', 'counter'],
      ['r14', 'value'],
      ['n1', 'to'],
      ['n2', 'to'],
    ]);
  });

  it('says what Liqo installs instead', () => {
    const msg = (rule: string, i = 0) => diagnostics.filter((d) => d.origin.rule === rule)[i]!.message;
    expect(msg('r1')).toContain('(dev != AND ip !=), not to the entry as a whole (NOT (dev AND ip))');
    expect(msg('r2', 0)).toContain('Liqo ignores op: neq for proto');
    expect(msg('r2', 1)).toContain('installs "port in 1024-65535"');
    expect(msg('r3')).toContain('installs port 34463');
    expect(msg('r5')).toContain('never matches any packet; nftlens models the subnet 10.42.0.0/16');
    expect(msg('r7')).toContain('literally');
    expect(msg('r9')).toContain('ANY transport protocol');
    expect(msg('r10')).toContain('"net unreachable"');
    expect(msg('r11')).toContain('sets mark 4294967295');
    expect(msg('r12')).toContain('ignores this value');
    expect(msg('r13')).toContain('only before connection tracking');
    expect(msg('r14', 0)).toContain('not only the SYNs');
    expect(msg('r14', 1)).toContain('sets MSS 4464');
    expect(msg('n1')).toContain('installs a masquerade');
    expect(msg('n2')).toContain('no NAT at all');
  });

  it('models the plain meaning', () => {
    const f = rulesByName(ruleset.tables[0]!.chains[0]!.rules);
    const n = rulesByName(ruleset.tables[0]!.chains[1]!.rules);
    const first = (r: Rule) => r.exprs.map((e) => (e.kind === 'match' ? [e.field, e.op, e.value] : [e.kind]));
    expect(first(f.r1!)).toEqual([['meta iifname', '!=', 'eth0'], ['ip saddr', '!=', '10.0.0.1']]);
    expect(first(f.r2!)).toEqual([['meta l4proto', '!=', 6], ['th dport', '!=', { range: [1024, 65535] }]]);
    expect(first(f.r3!)[1]).toEqual(['th dport', '==', 34463]);
    expect(first(f.r5!)).toEqual([['ip saddr', '==', { prefix: '10.42.0.0', len: 16 }]]);
    expect(first(f.r7!)).toEqual([['meta iifname', '==', 'liqo\\*']]);
    expect(f.r10!.verdict).toMatchObject({ kind: 'reject' });
    expect(f.r10!.verdict).not.toHaveProperty('with');
    expect(f.r11!.exprs).toMatchObject([{ kind: 'set-mark', key: 'ct mark', value: 4294967295 }]);
    expect(f.r14!.exprs.map((e) => e.kind)).toEqual(['match', 'counter', 'match', 'mss-clamp']);
    expect(f.r14!.exprs[3]).toMatchObject({ size: 4464 });
    expect(n.n1!.exprs).toMatchObject([{ kind: 'nat', type: 'masquerade' }]);
    expect(n.n2!.exprs).toMatchObject([{ kind: 'nat', type: 'snat', to: { range: ['10.0.0.1', '10.0.0.5'] } }]);
  });
});

describe('quirks of other table families', () => {
  it('IP matches without an IPv4 check, snat to an address in inet', () => {
    const { ruleset, diagnostics } = parseFirewallConfigurations(inet, 'd.yaml');
    expect(diagnostics.map((d) => [d.origin.chain, d.origin.field])).toEqual([
      ['i', 'spec.table.chains[0].rules.filterRules[0].match[0].ip.value'],
      ['nat', 'spec.table.chains[1].rules.natRules[0].to'],
    ]);
    const msgs = diagnostics.map((d) => d.message).join('\n');
    expect(msgs).toContain('IPv6 packets are compared on bytes inside their source address');
    expect(msgs).toContain('the kernel refuses an address-based snat with family inet');
    expect(ruleset.tables[0]!.family).toBe('inet');
  });

  it.skipIf(noLiqoFixtures)('route rules install nothing', () => {
    const { path, text } = readFixture('valid', 'schema-inet-input-and-route.yaml');
    const { diagnostics, ruleset } = parseFirewallConfigurations(text, path);
    expect(diagnostics.map((d) => [d.code, d.origin.chain, d.origin.field, d.origin.line])).toEqual([
      ['LIQO_QUIRK', 'reroute', 'spec.table.chains[1].rules.routeRules', 63],
    ]);
    expect(ruleset.tables[0]!.chains[1]!.rules).toEqual([]);
  });
});
