// renderNftJson: the batch's shape (atomic per-table replacement, chains before rules, comments),
// and values rendered so the kernel keeps the IR's exact meaning.

import { describe, expect, it } from 'vitest';
import { renderNftJson } from '../../../src/backends/nft/render-json.js';
import { NftlensError } from '../../../src/model/diagnostics.js';
import type { Family, Rule, Ruleset } from '../../../src/model/ruleset.js';
import { m, r, STATEFUL } from './samples.js';

const o = { file: 't' };
const one = (rules: Rule[], family: Family = 'ip', name = 't'): Ruleset => ({
  tables: [{ family, name, origin: o, chains: [{ name: 'c', origin: o, rules, base: { type: 'filter', hook: 'input', priority: 0, policy: 'drop' } }] }],
});
/** The expr list of the first rule of a one-rule ruleset. */
const exprOf = (rule: Rule, family: Family = 'ip') =>
  (renderNftJson(one([rule], family)).nftables.find((c) => 'add' in c && 'rule' in (c as { add: object }).add) as { add: { rule: { expr: unknown[] } } }).add.rule.expr;
const ipSaddr = { payload: { protocol: 'ip', field: 'saddr' } };

describe('renderNftJson', () => {
  it('replaces each table atomically in one batch: add, delete, add, chains, then rules', () => {
    const rs: Ruleset = { tables: [
      { family: 'inet', name: 'a', origin: o, chains: [
        { name: 'in', origin: o, base: { type: 'filter', hook: 'input', priority: -5, policy: 'drop' }, rules: [r([], { kind: 'jump', target: 'sub' }, 'to sub')] },
        { name: 'sub', origin: o, rules: [r([], { kind: 'accept' })] },
      ] },
      { family: 'ip6', name: 'b', origin: o, chains: [] },
    ] };
    expect(renderNftJson(rs)).toEqual({ nftables: [
      { metainfo: { json_schema_version: 1 } },
      { add: { table: { family: 'inet', name: 'a' } } },
      { delete: { table: { family: 'inet', name: 'a' } } },
      { add: { table: { family: 'inet', name: 'a' } } },
      { add: { chain: { family: 'inet', table: 'a', name: 'in', type: 'filter', hook: 'input', prio: -5, policy: 'drop' } } },
      { add: { chain: { family: 'inet', table: 'a', name: 'sub' } } },
      { add: { rule: { family: 'inet', table: 'a', chain: 'in', expr: [{ jump: { target: 'sub' } }], comment: 'to sub' } } },
      { add: { rule: { family: 'inet', table: 'a', chain: 'sub', expr: [{ accept: null }] } } },
      { add: { table: { family: 'ip6', name: 'b' } } },
      { delete: { table: { family: 'ip6', name: 'b' } } },
      { add: { table: { family: 'ip6', name: 'b' } } },
    ] });
  });

  it('keeps names and comments as JSON strings, never script text', () => {
    const evil = 't"; flush ruleset; add table ip x {';
    const doc = renderNftJson(one([r([], { kind: 'accept' }, evil)], 'ip', evil));
    const back = JSON.parse(JSON.stringify(doc)) as typeof doc;
    expect(back).toEqual(doc);
    expect(doc.nftables[1]).toEqual({ add: { table: { family: 'ip', name: evil } } });
    expect(doc.nftables.at(-1)).toMatchObject({ add: { rule: { table: evil, comment: evil } } });
  });

  it('renders a prefix with host bits as (x & mask) == addr, so nft does not mask it', () => {
    expect(exprOf(r([m('ip saddr', { prefix: '10.1.2.3', len: 16 })]))).toEqual([
      { match: { op: '==', left: { '&': [ipSaddr, '255.255.0.0'] }, right: '10.1.2.3' } },
    ]);
    expect(exprOf(r([m('ip6 daddr', { prefix: '2001:db8::1', len: 32 }, '!=')]), 'ip6')).toEqual([
      { match: { op: '!=', left: { '&': [{ payload: { protocol: 'ip6', field: 'daddr' } }, 'ffff:ffff::'] }, right: '2001:db8::1' } },
    ]);
    expect(exprOf(r([m('ip saddr', { prefix: '10.0.0.0', len: 8 })]))).toEqual([
      { match: { op: '==', left: ipSaddr, right: { prefix: { addr: '10.0.0.0', len: 8 } } } },
    ]);
  });

  it('leaves out set items that cover nothing; a value that covers nothing never matches', () => {
    expect(exprOf(r([m('ip saddr', { set: [{ prefix: '10.1.2.3', len: 16 }, '1.2.3.4', { range: ['1.1.1.9', '1.1.1.1'] }] })]))).toEqual([
      { match: { op: '==', left: ipSaddr, right: { set: ['1.2.3.4'] } } },
    ]);
    expect(exprOf(r([m('th dport', { range: [9, 1] })]))).toEqual([
      { match: { op: '==', left: { '&': [{ payload: { protocol: 'th', field: 'dport' } }, 0] }, right: 1 } },
    ]);
  });

  it('renders every match field, masks and flag tests', () => {
    expect(exprOf(r([
      m('meta l4proto', { set: [6, 17] }), m('ip protocol', 1), m('th sport', { range: [1, 2] }), m('meta iifname', 'eth*'),
      m('meta oifname', { set: ['a', 'b'] }, '!='), m('ct state', { set: ['established', 'related'] }), m('ct mark', 5),
      m('meta mark', 16, '==', 255), m('tcp flags', 2, '==', 0x12), m('tcp flags', 0, '!=', 0x02),
    ]))).toEqual([
      { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: { set: [6, 17] } } },
      { match: { op: '==', left: { payload: { protocol: 'ip', field: 'protocol' } }, right: 1 } },
      { match: { op: '==', left: { payload: { protocol: 'th', field: 'sport' } }, right: { range: [1, 2] } } },
      { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'eth*' } },
      { match: { op: '!=', left: { meta: { key: 'oifname' } }, right: { set: ['a', 'b'] } } },
      { match: { op: '==', left: { ct: { key: 'state' } }, right: { set: ['established', 'related'] } } },
      { match: { op: '==', left: { ct: { key: 'mark' } }, right: 5 } },
      { match: { op: '==', left: { '&': [{ meta: { key: 'mark' } }, 255] }, right: 16 } },
      { match: { op: '==', left: { '&': [{ payload: { protocol: 'tcp', field: 'flags' } }, 0x12] }, right: 2 } },
      { match: { op: '!=', left: { '&': [{ payload: { protocol: 'tcp', field: 'flags' } }, 2] }, right: 0 } },
    ]);
  });

  it('renders meta nfproto only in inet tables, where nft takes it', () => {
    expect(exprOf(r([m('meta nfproto', 'ipv4')], { kind: 'accept' }))).toEqual([{ accept: null }]);
    expect(exprOf(r([m('meta nfproto', 'ipv6')], { kind: 'accept' }))).toEqual([
      { match: { op: '==', left: { '&': [{ meta: { key: 'mark' } }, 0] }, right: 1 } }, { accept: null },
    ]);
    expect(exprOf(r([m('meta nfproto', 'ipv6')]), 'inet')).toEqual([{ match: { op: '==', left: { meta: { key: 'nfproto' } }, right: 'ipv6' } }]);
  });

  it('renders statements: counters restart at zero, NAT names its family, a netmap prefix its flags', () => {
    const st = (s: object) => ({ ...s, origin: o }) as Rule['exprs'][number];
    expect(exprOf(r([
      st({ kind: 'counter', packets: 9, bytes: 999 }), st({ kind: 'set-mark', key: 'ct mark', value: 'meta mark' }),
      st({ kind: 'set-mark', key: 'meta mark', value: 16 }), st({ kind: 'notrack' }), st({ kind: 'mss-clamp', size: 'rt mtu' }),
      st({ kind: 'mss-clamp', size: 1400 }), st({ kind: 'log', prefix: 'p' }), st({ kind: 'log' }),
      st({ kind: 'nat', type: 'snat', to: '1.2.3.4', port: 80 }), st({ kind: 'nat', type: 'dnat', to: { prefix: '10.0.0.0', len: 24 } }),
      st({ kind: 'nat', type: 'snat', to: { range: ['::1', '::2'] }, port: { range: [1, 2] } }),
      st({ kind: 'nat', type: 'masquerade' }), st({ kind: 'nat', type: 'masquerade', port: { range: [5, 6] } }),
    ]), 'inet')).toEqual([
      { counter: null }, { mangle: { key: { ct: { key: 'mark' } }, value: { meta: { key: 'mark' } } } },
      { mangle: { key: { meta: { key: 'mark' } }, value: 16 } }, { notrack: null },
      { mangle: { key: { 'tcp option': { name: 'maxseg', field: 'size' } }, value: { rt: { key: 'mtu' } } } },
      { mangle: { key: { 'tcp option': { name: 'maxseg', field: 'size' } }, value: 1400 } },
      { log: { prefix: 'p' } }, { log: null },
      { snat: { family: 'ip', addr: '1.2.3.4', port: 80 } },
      { dnat: { family: 'ip', addr: { prefix: { addr: '10.0.0.0', len: 24 } }, flags: 'netmap', type_flags: 'prefix' } },
      { snat: { family: 'ip6', addr: { range: ['::1', '::2'] }, port: { range: [1, 2] } } },
      { masquerade: null }, { masquerade: { port: { range: [5, 6] } } },
    ]);
  });

  it('renders verdicts; an empty rule is `continue`', () => {
    const v = (verdict: object) => exprOf({ exprs: [], origin: o, verdict: { ...verdict, origin: o } as Rule['verdict'] });
    expect(v({ kind: 'reject' })).toEqual([{ reject: null }]);
    expect(v({ kind: 'reject', with: { type: 'icmpx' } })).toEqual([{ reject: { type: 'icmpx', expr: 'port-unreachable' } }]);
    expect(v({ kind: 'reject', with: { type: 'tcp reset' } })).toEqual([{ reject: { type: 'tcp reset' } }]);
    expect(v({ kind: 'goto', target: 'x' })).toEqual([{ goto: { target: 'x' } }]);
    expect(v({ kind: 'return' })).toEqual([{ return: null }]);
    expect(exprOf(r([]))).toEqual([{ continue: null }]);
  });

  it('refuses IR that breaks the model, pointing at its origin', () => {
    const bad = { ...m('ip saddr', 'not-an-address'), origin: { file: 'x.yaml', rule: 'r1' } };
    try {
      renderNftJson(one([r([bad])]));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(NftlensError);
      expect((e as NftlensError).diagnostics[0]).toMatchObject({ code: 'MODEL_INVALID', origin: { file: 'x.yaml', rule: 'r1' } });
    }
  });

  describe('stateful expressions', () => {
    const cmds = renderNftJson({ tables: [STATEFUL] }).nftables as Record<string, Record<string, Record<string, unknown>>>[];
    const sets = cmds.filter((c) => c.add?.set).map((c) => c.add!.set);
    const rules = cmds.filter((c) => c.add?.rule).map((c) => c.add!.rule!.expr as unknown[]);

    it('writes dynamic sets without the dynamic flag (nft 1.0.6 JSON takes none), with timeout, size and gc-interval', () => {
      expect(sets[0]).toEqual({ family: 'ip', table: 'state4', name: 'affinity', type: 'ipv4_addr', flags: ['timeout'], timeout: 10800, size: 65535, 'gc-interval': 60 });
      expect(sets[2]).toEqual({ family: 'ip', table: 'state4', name: 'pairs', type: ['ipv4_addr', 'inet_service'] });
    });

    it('writes the set statement, lookups in dynamic sets, numgen, limit, quota and ct count as nft lists them', () => {
      const all = JSON.stringify(rules);
      expect(all).toContain(JSON.stringify({ set: { op: 'update', elem: { elem: { val: ipSaddr, timeout: 60 } }, set: '@affinity' } }));
      expect(all).toContain(JSON.stringify({ set: { op: 'add', elem: ipSaddr, set: '@flood', stmt: [{ limit: { rate: 10, per: 'second', inv: true } }] } }));
      expect(all).toContain(JSON.stringify({ match: { op: '!=', left: ipSaddr, right: '@seen' } }));
      expect(all).toContain(JSON.stringify({ vmap: { key: { numgen: { mode: 'random', mod: 2, offset: 0 } }, data: { set: [[0, { goto: { target: 'a' } }], [1, { goto: { target: 'b' } }]] } } }));
      expect(all).toContain(JSON.stringify({ match: { op: '==', left: { numgen: { mode: 'random', mod: 4, offset: 0 } }, right: { set: [0, 2] } } }));
      expect(all).toContain(JSON.stringify({ limit: { rate: 1024, per: 'minute', inv: true, rate_unit: 'kbytes', burst: 1000, burst_unit: 'kbytes' } }));
      expect(all).toContain(JSON.stringify({ quota: { val: 25, val_unit: 'mbytes', inv: true, used: 0, used_unit: 'bytes' } }));
      expect(all).toContain(JSON.stringify({ 'ct count': { val: 1 } }));
    });

    it('folds a `!=` on limit, quota and ct count into over, and on a dynamic set into its op', () => {
      const limit = { kind: 'state', op: '!=', source: { what: 'limit', rate: 5, rateUnit: 'packets', per: 'second', over: false }, origin: o } as const;
      expect(exprOf(r([limit]))).toEqual([{ limit: { rate: 5, per: 'second', inv: true } }]);
    });

    it('refuses, located, a dynamic-set expression whose set the table does not have', () => {
      const rule = r([{ kind: 'set-update', op: 'add', set: 'gone', key: ['ip saddr'], origin: { file: 'x.json', rule: 'handle 7' } }]);
      expect(() => exprOf(rule)).toThrow(NftlensError);
      try {
        exprOf(rule);
      } catch (e) {
        expect((e as NftlensError).diagnostics[0]).toMatchObject({ code: 'MODEL_INVALID', message: 'set @gone is not a set of the table', origin: { rule: 'handle 7' } });
      }
    });
  });
});
