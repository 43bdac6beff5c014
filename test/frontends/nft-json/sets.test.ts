// Named sets in the nft-JSON front end: a rule that names a set (`ip saddr @s`) carries the set's
// elements inline and its name; the table keeps the set, which both renderers write back and nft
// loads; sets of types nftlens does not model, and maps the packet path changes, are refused,
// located (dynamic sets: state.test.ts).

import { describe, expect, it } from 'vitest';
import { withNetns } from '../../../src/backends/netns/netns.js';
import { listRuleset, loadRuleset, loadRulesetText } from '../../../src/backends/nft/nft.js';
import { renderNftJson } from '../../../src/backends/nft/render-json.js';
import { renderNftText } from '../../../src/backends/nft/render-text.js';
import { compileRuleset, parsePacket, ReferenceEngine } from '../../../src/engine/index.js';
import { importNftJson } from '../../../src/frontends/nft-json/index.js';
import { diffRulesets } from '../../../src/model/canonical.js';
import { noKernel } from '../../support/kernel.js';
import { fails } from './support.js';

type J = unknown;
const table = { table: { family: 'inet', name: 't', handle: 1 } };
const chain = { chain: { family: 'inet', table: 't', name: 'c', handle: 2, type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } };
const set = (name: string, type: J, extra: Record<string, J> = {}) => ({ set: { family: 'inet', table: 't', name, type, handle: 9, ...extra } });
const rule = (expr: J[], handle = 3) => ({ rule: { family: 'inet', table: 't', chain: 'c', handle, expr } });
const doc = (...items: J[]) => ({ nftables: [{ metainfo: { json_schema_version: 1 } }, ...items] });
const payload = (protocol: string, field: string) => ({ payload: { protocol, field } });
const match = (op: string, left: J, right: J) => ({ match: { op, left, right } });
const bare = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (k, v) => (k === 'origin' || k === 'handle' ? undefined : v)));


const NETS = set('nets', 'ipv4_addr', { flags: ['interval'], elem: [{ range: ['10.0.0.0', '10.0.0.255'] }, { prefix: { addr: '172.16.0.0', len: 16 } }, '192.168.1.1'] });
const PORTS = set('ports', 'inet_service', { flags: ['interval'], elem: [22, { range: [8000, 8080] }] });
const STATES = set('states', 'ct_state', { elem: ['established', 'related'] });
const IFS = set('ifs', 'ifname', { flags: ['interval'], elem: ['veth*', 'lo'] });
const MARKS = set('marks', 'mark', { elem: [{ elem: { val: 1, counter: { packets: 0, bytes: 0 } } }, '0x00000010'] });
const RULES = [
  rule([match('==', payload('ip', 'saddr'), '@nets'), match('==', payload('tcp', 'dport'), '@ports'), { accept: null }], 3),
  rule([match('in', { ct: { key: 'state' } }, '@states'), { accept: null }], 4),
  rule([match('!=', payload('ip', 'daddr'), '@nets'), match('==', { meta: { key: 'iifname' } }, '@ifs'), match('==', { ct: { key: 'mark' } }, '@marks'), { drop: null }], 5),
  rule([match('==', { meta: { key: 'mark' } }, '@marks'), { drop: null }], 6),
];
const INPUT = doc(table, NETS, PORTS, STATES, IFS, MARKS, set('unused', 'ipv4_addr'), chain, ...RULES);

describe('named sets', () => {
  it('inlines the elements in each match, keeps the name, and keeps the sets rules use in the table', () => {
    const { ruleset, diagnostics } = importNftJson(INPUT, 'sets.json');
    const t = ruleset.tables[0]!;
    expect(bare(t.sets)).toEqual([
      { name: 'nets', type: 'ipv4_addr', flags: ['interval'], elements: [{ range: ['10.0.0.0', '10.0.0.255'] }, { prefix: '172.16.0.0', len: 16 }, '192.168.1.1'] },
      { name: 'ports', type: 'inet_service', flags: ['interval'], elements: [22, { range: [8000, 8080] }] },
      { name: 'states', type: 'ct_state', flags: [], elements: ['established', 'related'] },
      { name: 'ifs', type: 'ifname', flags: ['interval'], elements: ['veth*', 'lo'] },
      { name: 'marks', type: 'mark', flags: [], elements: [1, 16] },
    ]);
    const exprs = t.chains[0]!.rules.map((r) => bare(r.exprs));
    expect(exprs[0]).toEqual([
      { kind: 'match', field: 'ip saddr', op: '==', value: { set: [{ range: ['10.0.0.0', '10.0.0.255'] }, { prefix: '172.16.0.0', len: 16 }, '192.168.1.1'] }, set: 'nets' },
      { kind: 'match', field: 'meta l4proto', op: '==', value: 6 },
      { kind: 'match', field: 'th dport', op: '==', value: { set: [22, { range: [8000, 8080] }] }, set: 'ports' },
    ]);
    expect(exprs[1]).toEqual([{ kind: 'match', field: 'ct state', op: '==', value: { set: ['established', 'related'] }, set: 'states' }]);
    expect((exprs[2] as { op: string; set: string }[]).map((e) => [e.op, e.set])).toEqual([['!=', 'nets'], ['==', 'ifs'], ['==', 'marks']]);
    expect(diagnostics.map((d) => [d.severity, d.message])).toEqual([
      ['warning', 'named set "unused" is not used by any rule (imported as a warning: it does not change verdicts)'],
    ]);
  });

  it('classifies by membership, the same in the WASM engine and the reference interpreter', () => {
    const { ruleset } = importNftJson(INPUT, 'sets.json');
    const wasm = compileRuleset(ruleset);
    const ref = new ReferenceEngine(ruleset);
    const cases: [string, string][] = [
      ['tcp 10.0.0.7:1000 -> 8.8.8.8:8080 iif eth0 oif eth1', 'accept'],
      ['tcp 172.16.9.9:1000 -> 8.8.8.8:22 iif eth0 oif eth1', 'accept'],
      ['tcp 192.168.1.2:1000 -> 8.8.8.8:22 iif veth3 oif eth1 ctmark 16', 'drop'],
      ['tcp 192.168.1.1:1000 -> 8.8.8.8:23 iif veth3 oif eth1 ctmark 16', 'drop'],
      ['tcp 192.168.1.1:1000 -> 10.0.0.1:23 iif veth3 oif eth1 ctmark 16', 'accept'],
      ['tcp 9.9.9.9:1000 -> 8.8.8.8:23 iif eth0 oif eth1 ctmark 16', 'accept'],
      ['tcp 9.9.9.9:1000 -> 8.8.8.8:23 iif eth0 oif eth1 mark 1', 'drop'],
      ['tcp 9.9.9.9:1000 -> 8.8.8.8:23 iif eth0 oif eth1 mark 2', 'accept'],
    ];
    for (const [line, verdict] of cases) {
      const p = parsePacket(line);
      const got = wasm.evaluate(p, { trace: true });
      expect(got, line).toEqual(ref.evaluate(p, { trace: true }));
      expect(got.verdict, line).toBe(verdict);
    }
  });

  it('renders the sets and `@name` back, to JSON and to text, with the same meaning', () => {
    const { ruleset } = importNftJson(INPUT, 'sets.json');
    const json = renderNftJson(ruleset);
    const cmds = json.nftables as Record<string, Record<string, Record<string, unknown>>>[];
    expect(cmds.filter((c) => c.add?.set).map((c) => c.add!.set!.name)).toEqual(['nets', 'ports', 'states', 'ifs', 'marks']);
    expect(JSON.stringify(json)).toContain('"right":"@nets"');
    const text = renderNftText(ruleset);
    expect(text).toContain('\tset nets {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 10.0.0.0-10.0.0.255, 172.16.0.0/16, 192.168.1.1 }\n\t}');
    expect(text).toContain('ip daddr != @nets meta iifname @ifs ct mark @marks drop');
    // The rendered JSON, read back as a listing, means the same.
    const listing = { nftables: cmds.filter((c, i) => c.add && (i === 3 || !c.add.table)).map((c) => c.add) };
    expect(diffRulesets(importNftJson(listing, 'back.json').ruleset, ruleset)).toEqual([]);
  });

  it('writes inline a match whose set the table does not have', () => {
    const { ruleset } = importNftJson(INPUT, 'sets.json');
    delete ruleset.tables[0]!.sets;
    expect(JSON.stringify(renderNftJson(ruleset))).not.toContain('@');
    expect(renderNftText(ruleset)).not.toContain('@');
  });

  it.skipIf(noKernel)('loads into nft (JSON and text), which lists the same sets and rules back', async () => {
    const { ruleset } = importNftJson(INPUT, 'sets.json');
    await withNetns('sets', async (ns) => {
      await loadRuleset(renderNftJson(ruleset), { netns: ns.name });
      const back = await listRuleset({ netns: ns.name });
      expect(diffRulesets(back, ruleset)).toEqual([]);
      expect(back.tables[0]!.sets?.map((x) => x.name)).toEqual(['nets', 'ports', 'states', 'ifs', 'marks']);
      await loadRulesetText(`flush ruleset\n${renderNftText(ruleset)}`, { netns: ns.name });
      expect(diffRulesets(await listRuleset({ netns: ns.name }), ruleset)).toEqual([]);
    });
  });

  it('refuses, located, what it does not model: maps the packet path changes, concatenated and other types', () => {
    const map = (name: string, extra: Record<string, J>) => ({ map: { family: 'inet', table: 't', name, type: 'ipv4_addr', map: 'verdict', handle: 9, ...extra } });
    const vmap = (m: string) => ({ vmap: { key: payload('ip', 'saddr'), data: `@${m}` } });
    const ds = fails(doc(
      table, map('dyn', { flags: ['timeout'] }), set('cat', ['ipv4_addr', 'inet_service']), set('eth', 'ether_addr'),
      map('tmo', { elem: [[{ elem: { val: '10.0.0.1', timeout: 30 } }, { accept: null }]] }), chain,
      rule([vmap('dyn')], 3),
      rule([vmap('dyn')], 4),
      rule([match('==', payload('ip', 'saddr'), '@eth'), { accept: null }], 5),
      rule([vmap('tmo')], 6),
      rule([vmap('tmo')], 7),
      rule([match('==', payload('ip', 'saddr'), '@nope'), { accept: null }], 8),
    ));
    expect(ds.map((d) => [d.code, d.message, d.origin.field])).toEqual([
      ['NFT_UNSUPPORTED', 'unsupported: map updated from the packet path (flag timeout)', 'nftables[2].map.flags[0]'],
      ['NFT_UNSUPPORTED', 'unsupported: set type ether_addr', 'nftables[4].set.type'],
      ['NFT_UNSUPPORTED', 'unsupported: map element with a timeout', 'nftables[5].map.elem[0][0].elem.timeout'],
      ['NFT_UNSUPPORTED', 'unsupported: @nope (named set, not listed in this document)', 'nftables[12].rule.expr[0].right'],
      ['NFT_UNSUPPORTED', 'named set "cat" is not used by any rule (imported as a warning: it does not change verdicts)', 'nftables[3].set'],
    ]);
  });

  it('refuses a set whose type the field cannot take, as nft does', () => {
    const ds = fails(doc(table, PORTS, chain, rule([match('==', payload('ip', 'saddr'), '@ports'), { accept: null }])));
    expect(ds.map((d) => [d.code, d.message])).toEqual([
      ['NFT_SCHEMA', 'set @ports holds inet_service values, which ip saddr cannot be compared with'],
    ]);
  });
});
