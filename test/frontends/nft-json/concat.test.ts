// Concatenations in the nft-JSON front end (`ip daddr . tcp dport { … }`, `… @named`): the IR
// ConcatMatch, its evaluation (WASM against the reference interpreter), its rendering back (JSON,
// text, through nft in a namespace), and the analyses (`==` lookups expanded; a negated one refused, located).

import { describe, expect, it } from 'vitest';
import { withNetns } from '../../../src/backends/netns/netns.js';
import { listRuleset, loadRuleset, loadRulesetText } from '../../../src/backends/nft/nft.js';
import { renderNftJson } from '../../../src/backends/nft/render-json.js';
import { renderNftText } from '../../../src/backends/nft/render-text.js';
import { symbolicAnalysis } from '../../../src/analyses/symbolic/index.js';
import { diffRulesets as analyseDiff } from '../../../src/analyses/diff.js';
import { compileRuleset, parsePacket, ReferenceEngine } from '../../../src/engine/index.js';
import { importNftJson } from '../../../src/frontends/nft-json/index.js';
import { diffRulesets } from '../../../src/model/canonical.js';
import { NftlensError } from '../../../src/model/diagnostics.js';
import { noKernel } from '../../support/kernel.js';

type J = unknown;
const table = { table: { family: 'inet', name: 't', handle: 1 } };
const chain = { chain: { family: 'inet', table: 't', name: 'c', handle: 2, type: 'filter', hook: 'forward', prio: 0, policy: 'drop' } };
const rule = (expr: J[], handle = 3) => ({ rule: { family: 'inet', table: 't', chain: 'c', handle, expr } });
const doc = (...items: J[]) => ({ nftables: [{ metainfo: { json_schema_version: 1 } }, ...items] });
const payload = (protocol: string, field: string) => ({ payload: { protocol, field } });
const meta = (key: string) => ({ meta: { key } });
const match = (op: string, left: J, right: J) => ({ match: { op, left, right } });
const concat = (...xs: J[]) => ({ concat: xs });
const bare = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (k, v) => (k === 'origin' || k === 'handle' ? undefined : v)));

const ALLOWED = {
  set: {
    family: 'inet', table: 't', name: 'allowed', type: ['ipv4_addr', 'inet_proto', 'inet_service'], handle: 9, flags: ['interval'],
    elem: [concat({ prefix: { addr: '10.0.0.0', len: 24 } }, 'tcp', 22), { elem: { val: concat('10.1.0.1', 17, { range: [53, 60] }), comment: 'dns' } }],
  },
};
const INPUT = doc(
  table, ALLOWED, chain,
  rule([match('==', concat(payload('ip', 'saddr'), meta('l4proto'), payload('th', 'dport')), '@allowed'), { counter: null }, { accept: null }], 3),
  rule([match('==', concat(payload('ip', 'daddr'), payload('tcp', 'dport')), { set: [concat({ prefix: { addr: '10.3.0.0', len: 16 } }, { range: [80, 90] }), concat('10.4.0.1', 443)] }), { accept: null }], 4),
  rule([match('!=', concat(meta('iifname'), payload('ip6', 'daddr')), { set: [concat('eth*', 'fd00::1')] }), { accept: null }], 5),
  rule([match('==', concat(meta('mark'), { ct: { key: 'mark' } }), concat(1, 2)), { accept: null }], 6),
);

describe('concatenations', () => {
  it('read into ConcatMatch: fields, elements (one item per field), the named set, the port protocol first', () => {
    const { ruleset } = importNftJson(INPUT, 'c.json');
    const t = ruleset.tables[0]!;
    expect(bare(t.sets)).toEqual([{
      name: 'allowed', type: 'ipv4_addr', flags: ['interval'], elements: [],
      concat: { types: ['ipv4_addr', 'inet_proto', 'inet_service'], elements: [[{ prefix: '10.0.0.0', len: 24 }, 6, 22], ['10.1.0.1', 17, { range: [53, 60] }]] },
    }]);
    const exprs = t.chains[0]!.rules.map((r) => bare(r.exprs));
    expect(exprs[0]).toEqual([{ kind: 'concat', fields: ['ip saddr', 'meta l4proto', 'th dport'], op: '==', elements: [[{ prefix: '10.0.0.0', len: 24 }, 6, 22], ['10.1.0.1', 17, { range: [53, 60] }]], set: 'allowed' }, { kind: 'counter' }]);
    expect(exprs[1]).toEqual([
      { kind: 'match', field: 'meta l4proto', op: '==', value: 6 },
      { kind: 'concat', fields: ['ip daddr', 'th dport'], op: '==', elements: [[{ prefix: '10.3.0.0', len: 16 }, { range: [80, 90] }], ['10.4.0.1', 443]] },
    ]);
    expect(exprs[3]).toEqual([{ kind: 'concat', fields: ['meta mark', 'ct mark'], op: '==', elements: [[1, 2]] }]);
  });

  it('classify per element (a box per element), fields\' dependencies required whatever the op; WASM = reference', () => {
    const { ruleset } = importNftJson(INPUT, 'c.json');
    const wasm = compileRuleset(ruleset);
    const ref = new ReferenceEngine(ruleset);
    const cases: [string, string][] = [
      ['tcp 10.0.0.9:1000 -> 8.8.8.8:22 iif eth0 oif eth1', 'accept'],
      ['udp 10.0.0.9:1000 -> 8.8.8.8:22 iif eth0 oif eth1', 'drop'], // 10.0.0.0/24 goes with tcp only
      ['udp 10.1.0.1:1000 -> 8.8.8.8:55 iif eth0 oif eth1', 'accept'],
      ['udp 10.1.0.1:1000 -> 8.8.8.8:22 iif eth0 oif eth1', 'drop'],
      ['tcp 9.9.9.9:1000 -> 10.3.7.7:85 iif eth0 oif eth1', 'accept'],
      ['tcp 9.9.9.9:1000 -> 10.3.7.7:443 iif eth0 oif eth1', 'drop'], // 443 goes with 10.4.0.1 only
      ['tcp 9.9.9.9:1000 -> 10.4.0.1:443 iif eth0 oif eth1', 'accept'],
      ['udp fd00::9 -> fd00::1 iif eth3 oif eth1', 'drop'], // inside { eth* . fd00::1 }: != fails
      ['udp fd00::9 -> fd00::1 iif veth3 oif eth1', 'accept'],
      ['udp fd00::9 -> fd00::2 iif eth3 oif eth1', 'accept'],
      ['udp 9.9.9.9:1 -> 8.8.8.8:1 iif veth3 oif eth1', 'drop'], // != needs an IPv6 packet
      ['udp 9.9.9.9:1 -> 8.8.8.8:1 iif eth0 oif eth1 mark 1 ctmark 2', 'accept'],
      ['udp 9.9.9.9:1 -> 8.8.8.8:1 iif eth0 oif eth1 mark 1 ctmark 3', 'drop'],
    ];
    for (const [line, verdict] of cases) {
      const p = parsePacket(line);
      const got = wasm.evaluate(p, { trace: true });
      expect(got, line).toEqual(ref.evaluate(p, { trace: true }));
      expect(got.verdict, line).toBe(verdict);
    }
    expect(Array.from(wasm.counterArray())).toEqual(Array.from(ref.counterValues));
  });

  it('render back: the named set with its types, @name, anonymous elements `a . b`', () => {
    const { ruleset } = importNftJson(INPUT, 'c.json');
    const text = renderNftText(ruleset);
    expect(text).toContain('\t\ttype ipv4_addr . inet_proto . inet_service\n\t\tflags interval\n\t\telements = { 10.0.0.0/24 . tcp . 22, 10.1.0.1 . udp . 53-60 }');
    expect(text).toContain('ip saddr . meta l4proto . th dport @allowed counter accept');
    expect(text).toContain('meta l4proto tcp ip daddr . th dport { 10.3.0.0/16 . 80-90, 10.4.0.1 . 443 } accept');
    expect(text).toContain('meta iifname . ip6 daddr != { "eth*" . fd00::1 } accept');
    expect(JSON.stringify(renderNftJson(ruleset))).toContain('"type":["ipv4_addr","inet_proto","inet_service"]');
  });

  it.skipIf(noKernel)('load into nft (JSON and text), which lists them back with the same meaning', async () => {
    const { ruleset } = importNftJson(INPUT, 'c.json');
    await withNetns('concat', async (ns) => {
      await loadRuleset(renderNftJson(ruleset), { netns: ns.name });
      expect(diffRulesets(await listRuleset({ netns: ns.name }), ruleset)).toEqual([]);
      await loadRulesetText(`flush ruleset\n${renderNftText(ruleset)}`, { netns: ns.name });
      expect(diffRulesets(await listRuleset({ netns: ns.name }), ruleset)).toEqual([]);
    });
  });

  it('the analyses take `==` lookups (one rule per element) and refuse a negated one, located, rather than answer wrong', () => {
    const { ruleset } = importNftJson(INPUT, 'c.json');
    const positive = { tables: [{ ...ruleset.tables[0]!, chains: [{ ...ruleset.tables[0]!.chains[0]!, rules: ruleset.tables[0]!.chains[0]!.rules.filter((r) => r.handle !== 5) }] }] };
    expect(symbolicAnalysis(positive).evaluator.run().outcomes.length).toBeGreaterThan(0);
    for (const run of [() => symbolicAnalysis(ruleset), () => analyseDiff(ruleset, ruleset)]) {
      try {
        run();
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(NftlensError);
        const d = (e as NftlensError).diagnostics[0]!;
        expect(d.code).toBe('NFT_UNSUPPORTED');
        expect(d.message).toContain('negated concatenation meta iifname . ip6 daddr != {…} in the analyses');
        expect(d.origin).toMatchObject({ file: 'c.json', table: 'inet t', chain: 'c', rule: 'handle 5' });
      }
    }
  });

  it('refuse a set of another type, and parts nftlens cannot concatenate', () => {
    const fails = (input: J) => {
      try {
        importNftJson(input, 'bad.json');
      } catch (e) {
        return (e as NftlensError).diagnostics.map((d) => d.message);
      }
      throw new Error('expected an error');
    };
    expect(fails(doc(table, ALLOWED, chain, rule([match('==', concat(payload('ip', 'saddr'), payload('th', 'dport')), '@allowed'), { accept: null }]))))
      .toEqual(['set @allowed holds ipv4_addr . inet_proto . inet_service values, which ip saddr . th dport cannot be compared with']);
    expect(fails(doc(table, chain, rule([match('==', concat(payload('ip', 'saddr'), { '&': [meta('mark'), 255] }), concat('10.0.0.1', 1)), { accept: null }]))))
      .toEqual(['unsupported: bitwise & in a concatenation']);
    // `meta iif` alone is an exact-name match (Match.ifindex); as a concatenated part it is not modelled.
    expect(fails(doc(table, chain, rule([match('==', concat(meta('iif'), payload('ip', 'saddr')), concat('eth0', '10.0.0.1')), { accept: null }]))))
      .toEqual(['unsupported: meta iif in a concatenation']);
    expect(fails(doc(table, chain, rule([match('==', concat(payload('ip', 'saddr'), meta('mark')), concat('10.0.0.1')), { accept: null }]))))
      .toEqual(['a concatenation of 1 values for 2 fields']);
  });
});
