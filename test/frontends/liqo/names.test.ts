import { describe, expect, it } from 'vitest';
import { parseFirewallConfigurations } from '../../../src/frontends/liqo/index.js';
import { ruleName, uuidV5 } from '../../../src/frontends/liqo/names.js';
import { NftlensError } from '../../../src/model/diagnostics.js';
import { noLiqoFixtures, readFixture } from './fixtures.js';

const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** CIDR remapping as Liqo's remapping/cidr.go forges it: rules without names. */
const remap = (name: string, labels = '') => `apiVersion: networking.liqo.io/v1beta1
kind: FirewallConfiguration
metadata:
  name: ${name}
  namespace: liqo-tenant-rome
  labels:
    networking.liqo.io/firewall-category: gateway${labels}
spec:
  table:
    name: remap-podcidr
    family: IPV4
    chains:
    - name: outgoing
      type: nat
      hook: prerouting
      priority: -100
      policy: accept
      rules:
        natRules:
        - natType: dnat
          to: 10.42.0.0/16
          match:
          - {op: eq, ip: {position: dst, value: 10.71.0.0/16}}
          - {op: neq, dev: {position: in, value: eth0}}
        - natType: dnat
          to: 10.43.0.0/16
          match: [{op: eq, ip: {position: dst, value: 10.72.0.0/16}}]
    - name: incoming
      type: nat
      hook: postrouting
      priority: 100
      policy: accept
      rules:
        natRules:
        - name: ""
          natType: snat
          to: 10.71.0.0/16
          match: [{op: eq, ip: {position: src, value: 10.42.0.0/16}}]
`;

describe('UUIDv5', () => {
  it('follows RFC 9562 (the well-known www.example.com vector)', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('depends on every part of a rule position', () => {
    const base = ruleName('ns', 'fw', 'c', 'natRules', 0);
    expect(base).toMatch(UUID_V5);
    expect(ruleName('ns', 'fw', 'c', 'natRules', 0)).toBe(base);
    for (const other of [
      ruleName('ns2', 'fw', 'c', 'natRules', 0), ruleName('ns', 'fw2', 'c', 'natRules', 0),
      ruleName('ns', 'fw', 'c2', 'natRules', 0), ruleName('ns', 'fw', 'c', 'filterRules', 0),
      ruleName('ns', 'fw', 'c', 'natRules', 1), ruleName(undefined, 'ns/fw', 'c', 'natRules', 0),
    ]) expect(other).not.toBe(base);
  });
});

describe('nameRules', () => {
  it('names missing and empty names deterministically, with one info each', () => {
    const a = parseFirewallConfigurations(remap('rome-remap-podcidr'), 'r.yaml', { nameRules: true });
    const b = parseFirewallConfigurations(remap('rome-remap-podcidr'), 'other.yaml', { nameRules: true });
    const names = (r: typeof a) => r.ruleset.tables[0]!.chains.flatMap((c) => c.rules.map((x) => x.comment));
    expect(names(a)).toEqual([
      ruleName('liqo-tenant-rome', 'rome-remap-podcidr', 'outgoing', 'natRules', 0),
      ruleName('liqo-tenant-rome', 'rome-remap-podcidr', 'outgoing', 'natRules', 1),
      ruleName('liqo-tenant-rome', 'rome-remap-podcidr', 'incoming', 'natRules', 0),
    ]);
    expect(names(b)).toEqual(names(a));
    for (const n of names(a)) expect(n).toMatch(UUID_V5);
    expect(new Set(names(a)).size).toBe(3);
    // Rules and their expressions are named after the new name in origins.
    const rule = a.ruleset.tables[0]!.chains[0]!.rules[1]!;
    expect(rule.origin.rule).toBe(rule.comment);
    expect(rule.exprs[0]!.origin.rule).toBe(rule.comment);

    const infos = a.diagnostics.filter((d) => d.code === 'LIQO_UNNAMED');
    expect(infos.map((d) => [d.severity, d.origin.chain, d.origin.rule, d.origin.field, d.origin.line])).toEqual([
      ['info', 'outgoing', names(a)[0], 'spec.table.chains[0].rules.natRules[0]', 20],
      ['info', 'outgoing', names(a)[1], 'spec.table.chains[0].rules.natRules[1]', 25],
      ['info', 'incoming', names(a)[2], 'spec.table.chains[1].rules.natRules[0]', 35],
    ]);
    expect(infos[0]!.message).toContain('has no name');
    expect(infos[2]!.message).toContain('has an empty name');
    expect(infos[2]!.message).toContain(names(a)[2]);
  });

  it('gives another resource other names', () => {
    const a = parseFirewallConfigurations(remap('rome-remap-podcidr'), 'r.yaml', { nameRules: true });
    const b = parseFirewallConfigurations(remap('turin-remap-podcidr'), 'r.yaml', { nameRules: true });
    expect(b.ruleset.tables[0]!.chains[0]!.rules[0]!.comment).not.toBe(a.ruleset.tables[0]!.chains[0]!.rules[0]!.comment);
  });

  it('without the option, nameless rules are the webhook\'s "rule name is void" errors', () => {
    try {
      parseFirewallConfigurations(remap('x'), 'r.yaml');
      expect.unreachable();
    } catch (e) {
      expect((e as NftlensError).diagnostics.map((d) => [d.code, d.origin.rule])).toEqual([
        ['LIQO_RULE_NAME', 'natRules[0]'], ['LIQO_RULE_NAME', 'natRules[1]'], ['LIQO_RULE_NAME', 'natRules[0]'],
      ]);
    }
  });

  it.skipIf(noLiqoFixtures)('leaves named rules and webhook-skipped objects alone', () => {
    const { text } = readFixture('invalid', 'empty-rule-name.yaml');
    const r = parseFirewallConfigurations(text, 'e.yaml', { nameRules: true });
    expect(r.ruleset.tables[0]!.chains[0]!.rules.map((x) => x.comment)).toEqual([
      'allow-venice-to-10-42-1-15',
      ruleName('liqo-tenant-venice', 'venice-empty-rule-name', 'offloaded-pods-only', 'filterRules', 1),
    ]);
    expect(() =>
      parseFirewallConfigurations(remap('x', '\n    liqo.io/webhook-skip: "true"'), 'r.yaml', { nameRules: true }),
    ).toThrow(/mutating webhook, which names such rules, skips this resource/);
  });
});
