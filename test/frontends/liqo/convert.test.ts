import { describe, expect, it } from 'vitest';
import { parseFirewallConfigurations } from '../../../src/frontends/liqo/index.js';
import { checkMatchValue } from '../../../src/model/values.js';
import { tableId } from '../../../src/model/ruleset.js';
import { fixtureNames, noLiqoFixtures, readFixture } from './fixtures.js';

/** The IR without origins, for comparing structure. */
function strip<T>(v: T): T {
  if (Array.isArray(v)) return v.map(strip) as T;
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'origin').map(([k, x]) => [k, strip(x)])) as T;
  }
  return v;
}

const m = (field: string, value: unknown, op: '==' | '!=' = '==') => ({ kind: 'match', field, op, value });
const counter = { kind: 'counter' };
const rule = (comment: string, exprs: unknown[], verdict?: string) => ({
  exprs, ...(verdict ? { verdict: { kind: verdict } } : {}), comment,
});
const chain = (name: string, type: string, hook: string, priority: number, policy: string, rules: unknown[]) => ({
  name, base: { type, hook, priority, policy }, rules,
});
const prefix = (p: string, len: number) => ({ prefix: p, len });
const range = (a: unknown, b: unknown) => ({ range: [a, b] });

function load(name: string, opts = {}) {
  const { path, text } = readFixture('valid', name);
  return { path, ...parseFirewallConfigurations(text, path, opts) };
}

describe.skipIf(noLiqoFixtures)('the seed scenario', () => {
  it('provider-protect-single-consumer.yaml: iif/oif liqo-tunnel + pod address, counter, accept; policy drop', () => {
    const { resources, ruleset, path } = load('provider-protect-single-consumer.yaml');
    expect(resources).toHaveLength(1);
    expect(resources[0]).toMatchObject({
      apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfiguration',
      name: 'venice-provider-protection', namespace: 'liqo-tenant-venice',
      origin: { file: path, resource: 'liqo-tenant-venice/venice-provider-protection', line: 11 },
    });
    const pods = ['10.42.1.15', '10.42.2.7', '10.42.3.9'];
    const dashed = (ip: string) => ip.replace(/\./g, '-');
    expect(strip(ruleset.tables)).toEqual([
      {
        family: 'ip',
        name: 'provider-protection-venice',
        labels: { 'networking.liqo.io/firewall-category': 'gateway', 'networking.liqo.io/firewall-unique': 'venice' },
        chains: [
          chain('offloaded-pods-only', 'filter', 'forward', 0, 'drop', [
            ...pods.map((p) => rule(`allow-venice-to-${dashed(p)}`, [m('meta iifname', 'liqo-tunnel'), m('ip daddr', p), counter], 'accept')),
            ...pods.map((p) => rule(`allow-${dashed(p)}-to-venice`, [m('meta oifname', 'liqo-tunnel'), m('ip saddr', p), counter], 'accept')),
          ]),
        ],
      },
    ]);
  });

  it('provider-protect-multi-consumer.yaml: consumers told apart by source CIDR, one pod given as a range', () => {
    const { ruleset } = load('provider-protect-multi-consumer.yaml');
    const inbound = (name: string, cidr: string, dst: unknown) =>
      rule(name, [m('meta iifname', 'liqo-tunnel'), m('ip saddr', prefix(cidr, 16)), m('ip daddr', dst), counter], 'accept');
    const outbound = (name: string, src: unknown, cidr: string) =>
      rule(name, [m('meta oifname', 'liqo-tunnel'), m('ip saddr', src), m('ip daddr', prefix(cidr, 16)), counter], 'accept');
    expect(strip(ruleset.tables)).toEqual([
      {
        family: 'ip',
        name: 'provider-protection',
        labels: { 'networking.liqo.io/firewall-category': 'gateway', 'networking.liqo.io/firewall-subcategory': 'all-gateways' },
        chains: [
          chain('offloaded-pods-only', 'filter', 'forward', 0, 'drop', [
            inbound('allow-venice-to-10-42-1-15', '10.112.0.0', '10.42.1.15'),
            inbound('allow-venice-to-10-42-2-7', '10.112.0.0', '10.42.2.7'),
            outbound('allow-10-42-1-15-to-venice', '10.42.1.15', '10.112.0.0'),
            outbound('allow-10-42-2-7-to-venice', '10.42.2.7', '10.112.0.0'),
            inbound('allow-naples-to-10-42-1-40-10-42-1-47', '10.113.0.0', range('10.42.1.40', '10.42.1.47')),
            inbound('allow-naples-to-10-42-3-21', '10.113.0.0', '10.42.3.21'),
            outbound('allow-10-42-1-40-10-42-1-47-to-naples', range('10.42.1.40', '10.42.1.47'), '10.113.0.0'),
            outbound('allow-10-42-3-21-to-naples', '10.42.3.21', '10.113.0.0'),
          ]),
        ],
      },
    ]);
  });
});

describe.skipIf(noLiqoFixtures)("Liqo's unit-test shapes", () => {
  it('test-filter-matches.yaml: every match kind, in Liqo order, counter after the matches', () => {
    const { ruleset, diagnostics } = load('test-filter-matches.yaml');
    expect(strip(ruleset.tables[0]!.chains)).toEqual([
      chain('INPUT', 'filter', 'input', 0, 'accept', [
        rule('single-ip-rule', [m('ip saddr', '192.168.1.1')], 'accept'),
        rule('complex-rule', [m('ip saddr', prefix('192.168.1.0', 24)), m('th dport', range(8000, 9000)), m('meta iifname', 'eth0')], 'accept'),
        rule('very-complex-rule', [
          m('meta l4proto', 17), m('meta iifname', 'eth0'), m('ip saddr', range('192.168.1.10', '192.168.1.20')),
          m('ip daddr', prefix('10.0.0.0', 24)), m('th dport', range(5000, 6000)),
        ], 'accept'),
        rule('combined-proto-ip-port-dev', [
          m('meta l4proto', 6), m('ip saddr', prefix('192.168.1.0', 24)), m('th dport', 443), m('meta iifname', 'eth0'), counter,
        ], 'accept'),
        rule('ssh-from-eth1', [m('meta l4proto', 6), m('th dport', 22), m('meta iifname', 'eth1'), counter], 'drop'),
        rule('counter-rule', [counter], 'accept'),
      ]),
    ]);
    // The port range without any proto match reads transport bytes of every protocol.
    expect(diagnostics.map((d) => [d.code, d.origin.rule])).toEqual([['LIQO_QUIRK', 'complex-rule']]);
  });

  it('test-filter-actions.yaml: marks, MSS clamp (SYN test after the counter position), reject', () => {
    const { ruleset } = load('test-filter-actions.yaml');
    expect(strip(ruleset.tables[0]!)).toEqual({
      family: 'ip',
      name: 'marking-and-clamping',
      labels: { 'networking.liqo.io/firewall-category': 'gateway', 'networking.liqo.io/firewall-unique': 'rome' },
      chains: [
        chain('restore-mark', 'filter', 'prerouting', -150, 'accept', [
          rule('meta-mark-rule', [m('meta iifname', 'liqo-tunnel'), { kind: 'set-mark', key: 'meta mark', value: 'ct mark' }]),
        ]),
        chain('forward-mangle', 'filter', 'forward', -150, 'accept', [
          rule('mss-clamp-rule', [
            m('meta l4proto', 6), m('meta oifname', 'liqo-tunnel'),
            { kind: 'match', field: 'tcp flags', op: '!=', mask: 0x02, value: 0 }, { kind: 'mss-clamp', size: 1400 },
          ]),
          rule('ctmark-rule', [{ kind: 'set-mark', key: 'ct mark', value: 100 }]),
        ]),
        chain('input-filter', 'filter', 'input', 0, 'accept', [
          rule('reject-rule', [m('meta iifname', 'liqo-tunnel'), m('meta l4proto', 6), m('th dport', 10250), counter], 'reject'),
        ]),
      ],
    });
  });

  it('test-nat-rules.yaml: dnat/snat to an address, snat to a subnet (prefix), masquerade', () => {
    const { ruleset } = load('test-nat-rules.yaml');
    expect(strip(ruleset.tables[0]!.chains)).toEqual([
      chain('PREROUTING', 'nat', 'prerouting', -100, 'accept', [
        rule('dnat-rule', [m('meta l4proto', 6), m('ip daddr', '10.70.0.80'), { kind: 'nat', type: 'dnat', to: '10.0.0.1' }]),
      ]),
      chain('POSTROUTING', 'nat', 'postrouting', 100, 'accept', [
        rule('snat-rule', [m('meta l4proto', 6), m('ip saddr', prefix('10.0.0.0', 24)), { kind: 'nat', type: 'snat', to: '10.0.0.2' }]),
        rule('snat-subnet-rule', [m('ip saddr', prefix('10.0.2.0', 24)), { kind: 'nat', type: 'snat', to: prefix('10.0.1.0', 24) }]),
        rule('test-nat-rule', [m('meta l4proto', 17), m('meta oifname', 'eth0'), { kind: 'nat', type: 'masquerade' }]),
      ]),
    ]);
  });

  it('gw-mss-clamping.yaml: proto before dev whatever the YAML order, default counter, MSS from the route MTU', () => {
    const { ruleset, resources, path, diagnostics } = load('gw-mss-clamping.yaml');
    expect(resources[0]).toMatchObject({ name: 'gw-mss-clamping', labels: { 'liqo.io/webhook-skip': 'true' } });
    expect(resources[0]!.namespace).toBeUndefined();
    expect(strip(ruleset.tables)).toEqual([
      {
        family: 'ip',
        name: 'mss-clamping',
        labels: {
          'networking.liqo.io/firewall-category': 'gateway',
          'networking.liqo.io/firewall-subcategory': 'all-gateways',
          'liqo.io/webhook-skip': 'true',
        },
        chains: [
          chain('mss-clamping', 'filter', 'forward', 0, 'accept', [
            rule('mss-clamping-out', [
              m('meta l4proto', 6), m('meta oifname', 'liqo-tunnel'), counter,
              { kind: 'match', field: 'tcp flags', op: '!=', mask: 0x02, value: 0 }, { kind: 'mss-clamp', size: 'rt mtu' },
            ]),
          ]),
        ],
      },
    ]);
    // Origins point at the YAML: the rule, its proto value, the defaulted counter (at the rule).
    const r = ruleset.tables[0]!.chains[0]!.rules[0]!;
    expect(r.origin).toEqual({
      file: path, resource: 'gw-mss-clamping', table: 'ip mss-clamping', chain: 'mss-clamping', rule: 'mss-clamping-out',
      field: 'spec.table.chains[0].rules.filterRules[0]', line: 32, column: 15,
    });
    expect(r.exprs[0]!.origin).toMatchObject({ field: 'spec.table.chains[0].rules.filterRules[0].match[0].proto.value', line: 40 });
    expect(r.exprs[1]!.origin).toMatchObject({ field: 'spec.table.chains[0].rules.filterRules[0].match[0].dev.value', line: 38 });
    expect(r.exprs[2]!.origin).toMatchObject({ field: 'spec.table.chains[0].rules.filterRules[0].counter', line: 32 });
    expect(diagnostics.map((d) => d.code)).toEqual(['LIQO_QUIRK']);
  });

  it('conntrack-notrack-rules.yaml: one entry with ip + port + proto, notrack after the counter', () => {
    const { ruleset } = load('conntrack-notrack-rules.yaml');
    const notrack = { kind: 'notrack' };
    expect(strip(ruleset.tables[0]!.chains[0]!.rules)).toEqual([
      rule('notrack-single-match-all-fields', [m('meta l4proto', 6), m('ip saddr', '10.0.0.1'), m('th sport', 12345), counter, notrack]),
      rule('notrack-port-range', [m('meta l4proto', 17), m('th dport', range(70, 90)), counter, notrack]),
      rule('notrack-subnet', [m('ip saddr', prefix('10.0.0.0', 24)), m('ip daddr', '10.0.0.2', '!='), counter, notrack]),
    ]);
  });

  it('schema-inet-input-and-route.yaml: inet table, route chain without rules', () => {
    const { ruleset } = load('schema-inet-input-and-route.yaml');
    const t = ruleset.tables[0]!;
    expect(t.family).toBe('inet');
    expect(strip(t.chains[1])).toEqual(chain('reroute', 'route', 'output', -150, 'accept', []));
  });
});

describe.skipIf(noLiqoFixtures)('every valid fixture', () => {
  for (const name of fixtureNames('valid')) {
    it(`${name} converts to well-formed IR with origins everywhere`, () => {
      const { ruleset, resources, path } = load(name);
      expect(resources.length).toBeGreaterThan(0);
      // One table per kernel table (family + name): resources naming one share it (cross.ts).
      expect(ruleset.tables.map(tableId)).toEqual([...new Set(resources.map((r) => tableId(r.table)))]);
      for (const t of ruleset.tables) {
        expect(t.origin.file).toBe(path);
        for (const c of t.chains) {
          expect(c.base).toBeDefined();
          expect(c.origin.chain).toBe(c.name);
          for (const r of c.rules) {
            expect(r.comment).toBe(r.origin.rule);
            for (const e of r.exprs) {
              expect(e.origin.line).toBeGreaterThan(0);
              if (e.kind === 'match') expect(checkMatchValue(e)).toBeUndefined();
            }
          }
        }
      }
    });
  }

  it('remap-ipmapping-kubernetes-api.yaml (a kind: List) gives both resources, same rule name in two chains', () => {
    const { resources } = load('remap-ipmapping-kubernetes-api.yaml');
    expect(resources.map((r) => [r.namespace, r.name])).toEqual([
      ['liqo', 'kubernetes-172-18-0-2-remap-ipmapping-gw'],
      ['liqo', 'kubernetes-172-18-0-2-remap-ipmapping-fabric'],
    ]);
    const fabric = strip(resources[1]!.table.chains);
    expect(fabric).toEqual([
      chain('prerouting', 'nat', 'prerouting', -100, 'accept', [
        rule('kubernetes-172-18-0-2', [m('ip daddr', '10.70.0.1'), { kind: 'nat', type: 'dnat', to: '172.18.0.2' }]),
      ]),
      chain('postrouting', 'nat', 'postrouting', 99, 'accept', [
        rule('kubernetes-172-18-0-2', [m('ip daddr', '172.18.0.2'), { kind: 'nat', type: 'masquerade' }]),
      ]),
    ]);
  });
});
