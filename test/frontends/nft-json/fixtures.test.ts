// The nft-JSON front end against the nftables test-suite fixtures (kernel JSON from nft 1.0.6):
// every basic file imports, every advanced file imports or names exactly what it lacks, and a
// few files are checked down to the IR.

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importNftJson } from '../../../src/frontends/nft-json/index.js';
import { NftlensError } from '../../../src/model/diagnostics.js';
import { sharedCorpus } from '../../support/corpus.js';

const FIXTURES = sharedCorpus('fixtures/nftables/');
const files = (dir: string): string[] => (FIXTURES ? readdirSync(FIXTURES + dir).filter((f) => f.endsWith('.json')).sort() : []);
const load = (dir: string, name: string) => importNftJson(readFileSync(`${FIXTURES}${dir}/${name}.json`, 'utf8'), `${name}.json`);

/** The IR without origins and handles, to compare against a literal. */
function bare(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (k, v) => (k === 'origin' || k === 'handle' ? undefined : v)));
}

function constructs(e: unknown): string[] {
  expect(e).toBeInstanceOf(NftlensError);
  const errors = (e as NftlensError).diagnostics.filter((d) => d.severity === 'error');
  for (const d of errors) {
    expect(d.code).toBe('NFT_UNSUPPORTED');
    expect(d.origin.file).toBeTruthy();
  }
  return [...new Set(errors.map((d) => d.message.replace(/^unsupported: /, '').split(' — ')[0]!))].sort();
}

describe.skipIf(!FIXTURES)('basic fixtures', () => {
  it.each(files('basic'))('%s imports without error', (f) => {
    const { ruleset, diagnostics } = load('basic', f.replace(/\.json$/, ''));
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(ruleset.tables.length).toBeGreaterThan(0);
  });

  it('keeps every rule, in order, with its handle', () => {
    const text = readFileSync(`${FIXTURES}basic/chains-0020depth_1.json`, 'utf8');
    const listed = (JSON.parse(text).nftables as Record<string, { handle: number }>[]).filter((o) => o.rule).map((o) => o.rule!.handle);
    const { ruleset } = importNftJson(text, 'x.json');
    expect(ruleset.tables[0]!.chains.flatMap((c) => c.rules.map((r) => r.handle))).toEqual(listed);
  });
});

/** What each advanced fixture lacks: the exact set of constructs nftlens reports as unsupported. */
const ADVANCED: Record<string, string[]> = {
  'bitwise-0040mark_binop_0': ['ct mark set <<'],
  'chains-0006masquerade_0': [],
  'chains-0021prio_0': [],
  'chains-0041chain_binding_0': ['chain binding (bare string in JSON)'],
  'listing-0014objects_0': [],
  'maps-0011vmap_0': [],
  'maps-0024named_objects_0': ['counter map', 'quota map'],
  'maps-anonymous_snat_map_0': [],
  'maps-nat_addr_port': [
    'map data type ipv4_addr . inet_service', 'map data type ipv6_addr . inet_service', 'map key type integer',
    ...['t1', 't1v4', 't1v6', 't2', 't2v4', 't2v6'].map((m) => `numgen looked up in a named map (@${m})`),
  ],
  'nft-f-0032pknock_0': ['a constant in the key of a set statement'],
  'nft-f-sample-ruleset': [
    'chain binding (bare string in JSON)',
    'exthdr rt type', 'fib daddr type broadcast,anycast,multicast (only local is modelled)',
    'icmpv6 type in a concatenation', 'ip6 hoplimit',
  ],
  'optimizations-merge_nat_inet': ['dnat to concat'],
  'optimizations-merge_reject': [],
  'optimizations-merge_stmts_concat': [],
  'optimizations-merge_vmap_raw': ['raw payload @th,160,128', 'udp length'],
  'optimizations-nomerge_raw_payload': ['raw payload @th,160,112', 'raw payload @th,160,32'],
  'optionals-log_prefix_0': [],
  'packetpath-policy': [],
  'packetpath-tcp_reset': ['meta nftrace set'],
  'sets-0001named_interval_0': ['ip6 nexthdr'],
  'sets-0026named_limit_0': ['limit map'],
  'sets-0046netmap_0': [],
  'sets-0048set_counters_0': [],
  'sets-sets_with_ifnames': [],
};

describe.skipIf(!FIXTURES)('advanced fixtures', () => {
  it('lists every advanced fixture', () => {
    expect(Object.keys(ADVANCED).sort()).toEqual(files('advanced').map((f) => f.replace(/\.json$/, '')));
  });

  it.each(Object.entries(ADVANCED))('%s: imports, or names exactly what it lacks', (name, expected) => {
    let got: string[] = [];
    try {
      load('advanced', name);
    } catch (e) {
      got = constructs(e);
    }
    expect(got).toEqual(expected);
  });

  it('locates each unsupported construct: file, table, chain, rule handle and JSON path', () => {
    try {
      load('advanced', 'optimizations-merge_vmap_raw');
      expect.unreachable();
    } catch (e) {
      const [first, second] = (e as NftlensError).diagnostics;
      // Inside a verdict map's concatenated key: the part.
      expect(first!.origin).toEqual({
        file: 'optimizations-merge_vmap_raw.json', table: 'inet x', chain: 'nat_dns_acme', rule: 'handle 18', field: 'nftables[18].rule.expr[0].vmap.key.concat[0]',
      });
      expect(second!.origin.field).toBe('nftables[18].rule.expr[0].vmap.key.concat[1]');
    }
  });

  it('imports what no rule uses with a warning, and other families with a warning', () => {
    const objects = load('advanced', 'listing-0014objects_0');
    expect(objects.diagnostics.map((d) => [d.code, d.severity, d.message])).toEqual([
      ['NFT_UNSUPPORTED', 'warning', 'named quota "https-quota" is not used by any rule (imported as a warning: it does not change verdicts)'],
      ['NFT_UNSUPPORTED', 'warning', 'named ct helper "cthelp" is not used by any rule (imported as a warning: it does not change verdicts)'],
    ]);
    const prio = load('advanced', 'chains-0021prio_0');
    const families = prio.diagnostics.filter((d) => d.message.includes('not evaluated')).map((d) => d.origin.table);
    expect(families).toEqual(['arp x', 'netdev x', 'bridge x']);
    expect(prio.ruleset.tables.map((t) => t.family)).toEqual(['ip', 'ip6', 'inet', 'arp', 'netdev', 'bridge']);
  });

  it('reads masquerade and log', () => {
    expect(bare(load('advanced', 'chains-0006masquerade_0').ruleset)).toEqual({
      tables: [{ family: 'ip', name: 't', chains: [{
        name: 'c1', base: { type: 'nat', hook: 'postrouting', priority: 0, policy: 'accept' },
        rules: [{ exprs: [{ kind: 'nat', type: 'masquerade' }] }],
      }] }],
    });
    const log = load('advanced', 'optionals-log_prefix_0').ruleset.tables[0]!.chains[0]!.rules[0]!;
    expect(bare(log)).toEqual({ exprs: [
      { kind: 'match', field: 'ct state', op: '==', value: 'invalid' },
      { kind: 'log', prefix: 'invalid state match, logging:' },
    ] });
  });
});

describe.skipIf(!FIXTURES)('IR of selected fixtures', () => {
  it('sets-0053echo_0: tcp dport becomes meta l4proto + th dport, counters keep their values', () => {
    expect(bare(load('basic', 'sets-0053echo_0').ruleset)).toEqual({
      tables: [{
        family: 'inet', name: 'filter',
        chains: [{
          name: 'input', base: { type: 'filter', hook: 'input', priority: 0, policy: 'drop' },
          rules: [{
            exprs: [
              { kind: 'match', field: 'meta iifname', op: '==', value: 'lo' },
              { kind: 'match', field: 'ip saddr', op: '==', value: { prefix: '10.0.0.0', len: 8 } },
              { kind: 'match', field: 'ip daddr', op: '==', value: '192.168.100.62' },
              { kind: 'match', field: 'meta l4proto', op: '==', value: 6 },
              { kind: 'match', field: 'th dport', op: '==', value: 2001 },
              { kind: 'counter', packets: 0, bytes: 0 },
            ],
            verdict: { kind: 'accept' },
          }],
        }],
      }],
    });
    const rule = load('basic', 'sets-0053echo_0').ruleset.tables[0]!.chains[0]!.rules[0]!;
    expect(rule.origin).toEqual({ file: 'sets-0053echo_0.json', table: 'inet filter', chain: 'input', rule: 'handle 2', field: 'nftables[3].rule' });
    expect(rule.exprs[4]!.origin.field).toBe('nftables[3].rule.expr[3]');
  });

  it('sets-0025anonymous_set_0: anonymous sets of addresses and ports', () => {
    expect(bare(load('basic', 'sets-0025anonymous_set_0').ruleset)).toEqual({
      tables: [{
        family: 'ip', name: 't',
        chains: [{
          name: 'c', base: { type: 'filter', hook: 'output', priority: 0, policy: 'accept' },
          rules: [
            { exprs: [{ kind: 'match', field: 'ip daddr', op: '==', value: { set: ['192.168.0.1', '192.168.0.2', '192.168.0.3'] } }] },
            {
              exprs: [
                { kind: 'match', field: 'meta oifname', op: '==', value: 'doesntexist' },
                { kind: 'match', field: 'meta l4proto', op: '==', value: 6 },
                { kind: 'match', field: 'th dport', op: '==', value: { set: [22, 23] } },
                { kind: 'counter', packets: 0, bytes: 0 },
              ],
            },
          ],
        }],
      }],
    });
  });

  it('chains-0002jumps_1: a base chain and a line of jumps through regular chains', () => {
    const t = load('basic', 'chains-0002jumps_1').ruleset.tables[0]!;
    expect(t.chains.map((c) => c.name)).toEqual(Array.from({ length: 17 }, (_, i) => `c${i + 1}`));
    expect(t.chains[0]!.base).toEqual({ type: 'filter', hook: 'input', priority: 0, policy: 'accept' });
    expect(t.chains.slice(1).every((c) => c.base === undefined)).toBe(true);
    for (let i = 0; i < 15; i++) {
      expect(bare(t.chains[i]!.rules)).toEqual([{ exprs: [], verdict: { kind: 'jump', target: `c${i + 2}` } }]);
    }
    expect(t.chains[15]!.rules).toEqual([]);
    expect(t.chains[16]!.rules).toEqual([]);
  });

  it('include-0020include_chain_0: two base chains in an inet table', () => {
    const rule = (addr: 'ip saddr' | 'ip daddr') => ({
      exprs: [
        { kind: 'match', field: addr, op: '==', value: '1.2.3.4' },
        { kind: 'match', field: 'meta l4proto', op: '==', value: 6 },
        { kind: 'match', field: 'th dport', op: '==', value: { set: [22, 123, 443] } },
      ],
      verdict: { kind: 'drop' },
    });
    expect(bare(load('basic', 'include-0020include_chain_0').ruleset)).toEqual({
      tables: [{
        family: 'inet', name: 'filter',
        chains: [
          { name: 'input2', base: { type: 'filter', hook: 'input', priority: 0, policy: 'accept' }, rules: [rule('ip saddr')] },
          { name: 'output2', base: { type: 'filter', hook: 'output', priority: 0, policy: 'accept' }, rules: [rule('ip daddr')] },
        ],
      }],
    });
  });

  it('sets-0061anonymous_automerge_0: a one-element set listed as a plain range', () => {
    const r = load('basic', 'sets-0061anonymous_automerge_0').ruleset.tables[0]!.chains[0]!.rules[0]!;
    expect(bare(r)).toEqual({ exprs: [{ kind: 'match', field: 'ip saddr', op: '==', value: { range: ['1.1.1.1', '1.1.1.2'] } }] });
  });
});
