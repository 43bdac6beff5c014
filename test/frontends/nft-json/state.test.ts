// Stateful expressions in the nft-JSON front end, in the shapes nft 1.0.6 lists them (taken from
// `nft -j list ruleset` after loading the text forms in a scratch namespace): numgen as a match and
// as a map key, limit, quota, ct count, lookups in dynamic sets, the set statement, dynamic sets
// with timeout/size/gc-interval; jhash and symhash;
// what stays refused (meters, named limits…) is located.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importNftJson } from '../../../src/frontends/nft-json/index.js';
import type { Rule, Table } from '../../../src/model/ruleset.js';
import { sharedCorpus } from '../../support/corpus.js';
import { fails } from './support.js';

type J = unknown;
const table = { table: { family: 'ip', name: 't', handle: 1 } };
const chain = (name = 'c') => ({ chain: { family: 'ip', table: 't', name, handle: 2 } });
const set = (name: string, type: J, extra: Record<string, J> = {}) => ({ set: { family: 'ip', table: 't', name, type, handle: 9, ...extra } });
const rule = (expr: J[], handle = 3) => ({ rule: { family: 'ip', table: 't', chain: 'c', handle, expr } });
const doc = (...items: J[]) => ({ nftables: [{ metainfo: { json_schema_version: 1 } }, ...items] });
const payload = (protocol: string, field: string) => ({ payload: { protocol, field } });
const match = (op: string, left: J, right: J) => ({ match: { op, left, right } });
const numgen = (mode: string, mod: number, offset = 0) => ({ numgen: { mode, mod, offset } });
const SADDR = payload('ip', 'saddr');
const bare = <T>(x: T): T => JSON.parse(JSON.stringify(x, (k, v) => (k === 'origin' || k === 'handle' ? undefined : v)));

/** The table read from the listing, without origins and handles. */
function read(...items: J[]): Table {
  const { ruleset, diagnostics } = importNftJson(doc(table, chain('a'), chain('b'), chain(), ...items), 'state.json');
  expect(diagnostics.filter((d) => !d.message.includes('is not used by any rule'))).toEqual([]);
  return bare(ruleset.tables[0]!);
}
const rules = (t: Table): Rule[] => t.chains.find((c) => c.name === 'c')!.rules;
/** The located errors of a refused listing: [code, message, rule, field]. */
const refused = (...items: J[]) => fails(doc(table, chain('a'), chain('b'), chain(), ...items)).filter((d) => d.severity === 'error')
  .map((d) => [d.code, d.message, d.origin.rule, d.origin.field]);
const state = (source: J, extra: Record<string, J> = {}) => ({ kind: 'state', source, op: '==', ...extra });

describe('numgen', () => {
  it('as a vmap or map key: a lookup keyed by the drawn number (numbers and ranges)', () => {
    const t = read(
      rule([{ vmap: { key: numgen('random', 2), data: { set: [[0, { goto: { target: 'a' } }], [1, { goto: { target: 'b' } }]] } } }]),
      rule([{ vmap: { key: numgen('inc', 3, 5), data: { set: [[5, { goto: { target: 'a' } }], [{ range: [6, 7] }, { goto: { target: 'b' } }]] } } }], 4),
      rule([{ mangle: { key: { meta: { key: 'mark' } }, value: { map: { key: numgen('inc', 2), data: { set: [[0, 1], [1, 2]] } } } } }], 5),
      rule([{ dnat: { addr: { map: { key: numgen('inc', 2), data: { set: [[0, '10.0.0.1'], [1, '10.0.0.2']] } } } } }], 6),
    );
    const [vmap, ranged, mark, dnat] = rules(t);
    expect(vmap!.verdict).toEqual({ kind: 'vmap', lookup: {
      key: [], state: { what: 'numgen', mode: 'random', mod: 2, offset: 0 },
      elements: [{ key: [0], value: { kind: 'goto', target: 'a' } }, { key: [1], value: { kind: 'goto', target: 'b' } }],
    } });
    expect(ranged!.verdict).toMatchObject({ lookup: { state: { mode: 'inc', mod: 3, offset: 5 }, elements: [{ key: [5] }, { key: [{ range: [6, 7] }] }] } });
    expect(mark!.exprs).toEqual([{ kind: 'set-mark', key: 'meta mark', value: {
      key: [], state: { what: 'numgen', mode: 'inc', mod: 2, offset: 0 }, elements: [{ key: [0], value: 1 }, { key: [1], value: 2 }],
    } }]);
    expect(dnat!.exprs).toMatchObject([{ kind: 'nat', type: 'dnat', map: { key: [], state: { mode: 'inc' }, elements: [{ key: [0], value: '10.0.0.1' }, { key: [1], value: '10.0.0.2' }] } }]);
  });

  it('on the left of a match: a StateMatch with the value and the op', () => {
    const t = read(
      rule([match('==', numgen('inc', 2), 0), { accept: null }]),
      rule([match('!=', numgen('inc', 2), 1)], 4),
      rule([match('==', numgen('random', 4), { set: [0, 2] })], 5),
      rule([match('==', numgen('random', 4), { range: [1, 2] })], 6),
    );
    const src = (mode: string, mod: number) => ({ what: 'numgen', mode, mod, offset: 0 });
    expect(rules(t).map((r) => r.exprs)).toEqual([
      [state(src('inc', 2), { value: 0 })],
      [state(src('inc', 2), { op: '!=', value: 1 })],
      [state(src('random', 4), { value: { set: [0, 2] } })],
      [state(src('random', 4), { value: { range: [1, 2] } })],
    ]);
  });

  it('jhash and symhash: numbers drawn like numgen, jhash with the fields it hashes and what they imply', () => {
    const TCP_DPORT = payload('tcp', 'dport');
    // As nft 1.0.6 lists `jhash ip saddr mod 2 seed 0xdeadbeef 0`, `jhash ip saddr . tcp dport mod 4 offset 100 { 100, 102 }`,
    // `symhash mod 2 vmap { … }` and `dnat to jhash ip saddr . ip daddr mod 2 map { … }`.
    const t = read(
      rule([match('==', { jhash: { mod: 2, seed: 3735928559, expr: SADDR } }, 0), { accept: null }]),
      rule([match('==', { jhash: { mod: 4, offset: 100, expr: { concat: [SADDR, TCP_DPORT] } } }, { set: [100, 102] })], 4),
      rule([{ vmap: { key: { symhash: { mod: 2 } }, data: { set: [[0, { accept: null }], [1, { drop: null }]] } } }], 5),
      rule([{ dnat: { addr: { map: { key: { jhash: { mod: 2, expr: { concat: [SADDR, payload('ip', 'daddr')] } } }, data: { set: [[0, '10.0.0.1'], [1, '10.0.0.2']] } } } } }], 6),
    );
    const [seeded, concat, vmap, nat] = rules(t);
    expect(seeded!.exprs).toEqual([state({ what: 'jhash', key: ['ip saddr'], mod: 2, seed: 0xdeadbeef, offset: 0 }, { value: 0 })]);
    expect(concat!.exprs).toEqual([
      { kind: 'match', field: 'meta l4proto', op: '==', value: 6 },
      state({ what: 'jhash', key: ['ip saddr', 'th dport'], mod: 4, offset: 100 }, { value: { set: [100, 102] } }),
    ]);
    expect(vmap!.verdict).toMatchObject({ kind: 'vmap', lookup: { key: [], state: { what: 'symhash', mod: 2, offset: 0 } } });
    expect(nat!.exprs[0]).toMatchObject({ kind: 'nat', map: { key: [], state: { what: 'jhash', key: ['ip saddr', 'ip daddr'], mod: 2, offset: 0 } } });
  });

  it('refuses, located: a malformed numgen, a value that is no number, a named map, a statement value; a malformed hash', () => {
    expect(refused(
      rule([match('==', { numgen: { mode: 'hash', mod: 0 } }, 0)]),
      rule([match('==', numgen('inc', 2), 'zero')], 4),
      rule([match('<', numgen('inc', 2), 1)], 5),
      { map: { family: 'ip', table: 't', name: 'm', type: 'mark', map: 'verdict', handle: 8, elem: [[0, { accept: null }]] } },
      rule([{ vmap: { key: numgen('inc', 2), data: '@m' } }], 6),
      rule([{ vmap: { key: numgen('inc', 2), data: { set: [[-1, { accept: null }]] } } }], 7),
      rule([{ mangle: { key: { meta: { key: 'mark' } }, value: numgen('inc', 2) } }], 8),
      rule([{ vmap: { key: { jhash: { mod: 2 } }, data: { set: [[0, { accept: null }]] } } }], 9),
      rule([{ vmap: { key: { symhash: { mod: 2, seed: 1 } }, data: { set: [[0, { accept: null }]] } } }], 10),
      rule([match('==', { jhash: { mod: 2, seed: -1, expr: SADDR } }, 0)], 11),
      rule([match('==', { jhash: { mod: 2, expr: { meta: { key: 'iif' } } } }, 0)], 12),
    )).toEqual([
      ['NFT_SCHEMA', '"mode" must be one of inc, random, got "hash"', 'handle 3', 'nftables[5].rule.expr[0].left.numgen.mode'],
      ['NFT_SCHEMA', '"mod" must be in 1..4294967295, got 0', 'handle 3', 'nftables[5].rule.expr[0].left.numgen.mod'],
      ['NFT_SCHEMA', 'numgen, jhash and symhash are compared with 32-bit numbers and ranges of them, got string "zero"', 'handle 4', 'nftables[6].rule.expr[0].right'],
      ['NFT_SCHEMA', 'numgen, jhash and symhash are compared with 32-bit numbers and ranges of them, got number -1', 'handle 7', 'nftables[10].rule.expr[0].vmap.data.set[0][0]'],
      ['NFT_SCHEMA', '"jhash" needs "expr", the fields it hashes', 'handle 9', 'nftables[12].rule.expr[0].vmap.key.jhash'],
      ['NFT_SCHEMA', '"seed" must be in 0..4294967295, got -1', 'handle 11', 'nftables[14].rule.expr[0].left.jhash.seed'],
      ['NFT_UNSUPPORTED', 'unsupported: < on numgen', 'handle 5', 'nftables[7].rule.expr[0]'],
      ['NFT_UNSUPPORTED', 'unsupported: numgen looked up in a named map (@m)', 'handle 6', 'nftables[9].rule.expr[0].vmap.data'],
      ['NFT_UNSUPPORTED', 'unsupported: meta mark set numgen', 'handle 8', 'nftables[11].rule.expr[0]'],
      ['NFT_UNSUPPORTED', 'unsupported: symhash option "seed"', 'handle 10', 'nftables[13].rule.expr[0].vmap.key.symhash.seed'],
      ['NFT_UNSUPPORTED', 'unsupported: jhash of an interface index', 'handle 12', 'nftables[15].rule.expr[0].left.jhash.expr'],
    ]);
  });
});

describe('limit, quota, ct count', () => {
  it('read as StateMatches that hold or not, `inv` as over, units and bursts as listed', () => {
    const t = read(
      rule([{ limit: { rate: 10, burst: 5, per: 'second', inv: true } }, { drop: null }]),
      rule([{ limit: { rate: 1, burst: 1000, per: 'second', inv: true, rate_unit: 'mbytes', burst_unit: 'kbytes' } }], 4),
      rule([{ quota: { val: 25, val_unit: 'mbytes', inv: true, used: 10, used_unit: 'kbytes' } }], 5),
      rule([{ quota: { val: 25, val_unit: 'mbytes' } }], 6),
      rule([{ 'ct count': { val: 3, inv: true } }], 7),
      rule([{ 'ct count': { val: 3 } }], 8),
    );
    expect(rules(t).map((r) => r.exprs)).toEqual([
      [state({ what: 'limit', rate: 10, rateUnit: 'packets', per: 'second', over: true, burst: 5 })],
      [state({ what: 'limit', rate: 1, rateUnit: 'mbytes', per: 'second', over: true, burst: 1000, burstUnit: 'kbytes' })],
      [state({ what: 'quota', val: 25, valUnit: 'mbytes', over: true, used: 10, usedUnit: 'kbytes' })],
      [state({ what: 'quota', val: 25, valUnit: 'mbytes', over: false })],
      [state({ what: 'ct count', count: 3, over: true })],
      [state({ what: 'ct count', count: 3, over: false })],
    ]);
    expect(rules(t)[0]!.verdict).toEqual({ kind: 'drop' });
  });

  it('refuses, located: malformed fields, unknown options, named objects', () => {
    expect(refused(
      rule([{ limit: { rate: -1, per: 'fortnight', inv: 'yes' } }]),
      rule([{ quota: { val_unit: 'gbytes' } }], 4),
      rule([{ 'ct count': { val: 3, dir: 'original' } }], 5),
      rule([{ limit: 'lim' }], 6),
    )).toEqual([
      ['NFT_SCHEMA', '"inv" must be true or false, got string "yes"', 'handle 3', 'nftables[5].rule.expr[0].limit.inv'],
      ['NFT_SCHEMA', '"rate" must not be negative, got -1', 'handle 3', 'nftables[5].rule.expr[0].limit.rate'],
      ['NFT_SCHEMA', '"per" must be one of second, minute, hour, day, week, got "fortnight"', 'handle 3', 'nftables[5].rule.expr[0].limit.per'],
      ['NFT_SCHEMA', 'missing "val"', 'handle 4', 'nftables[6].rule.expr[0].quota.val'],
      ['NFT_SCHEMA', '"val_unit" must be one of bytes, kbytes, mbytes, got "gbytes"', 'handle 4', 'nftables[6].rule.expr[0].quota.val_unit'],
      ['NFT_UNSUPPORTED', 'unsupported: ct count option "dir"', 'handle 5', 'nftables[7].rule.expr[0].ct count.dir'],
      ['NFT_UNSUPPORTED', 'unsupported: named limit "lim"', 'handle 6', 'nftables[8].rule.expr[0]'],
    ]);
  });
});

describe('dynamic sets', () => {
  const S = set('s', 'ipv4_addr', { size: 65535, flags: ['timeout'], timeout: 10800, 'gc-interval': 60, elem: [{ elem: { val: '10.0.0.1', timeout: 60, expires: 59 } }, '10.0.0.2'] });
  const D = set('d', 'ipv4_addr', { size: 65535 });
  const C = set('c', ['ipv4_addr', 'inet_service'], { size: 65535 });

  it('reads flags, timeout, size and gc-interval; a set is dynamic by its flags or by a set statement naming it', () => {
    const t = read(S, D, C, set('fixed', 'ipv4_addr', { size: 100, elem: ['1.2.3.4'] }),
      rule([match('==', SADDR, '@s'), match('==', SADDR, '@fixed')]),
      rule([{ set: { op: 'add', elem: SADDR, set: '@d' } }], 4),
      rule([match('!=', SADDR, '@d'), { drop: null }], 5),
      rule([match('==', { concat: [SADDR, payload('tcp', 'dport')] }, '@c'), { accept: null }], 6),
      rule([{ set: { op: 'add', elem: { concat: [SADDR, payload('tcp', 'dport')] }, set: '@c' } }], 7),
    );
    expect(t.sets).toEqual([
      { name: 's', type: 'ipv4_addr', flags: ['timeout'], elements: ['10.0.0.1', '10.0.0.2'], timeout: 10800, size: 65535, gcInterval: 60, dynamic: true },
      { name: 'd', type: 'ipv4_addr', flags: [], elements: [], size: 65535, dynamic: true },
      { name: 'c', type: 'ipv4_addr', flags: [], elements: [], size: 65535, concat: { types: ['ipv4_addr', 'inet_service'], elements: [] }, dynamic: true },
      { name: 'fixed', type: 'ipv4_addr', flags: [], elements: ['1.2.3.4'], size: 100 },
    ]);
    const dyn = (name: string, key: string[], op = '==') => state({ what: 'set', set: name, key, op });
    expect(rules(t).map((r) => r.exprs)).toEqual([
      [dyn('s', ['ip saddr']), { kind: 'match', field: 'ip saddr', op: '==', value: { set: ['1.2.3.4'] }, set: 'fixed' }],
      [{ kind: 'set-update', op: 'add', set: 'd', key: ['ip saddr'] }],
      [dyn('d', ['ip saddr'], '!=')],
      [{ kind: 'match', field: 'meta l4proto', op: '==', value: 6 }, dyn('c', ['ip saddr', 'th dport'])],
      [{ kind: 'match', field: 'meta l4proto', op: '==', value: 6 }, { kind: 'set-update', op: 'add', set: 'c', key: ['ip saddr', 'th dport'] }],
    ]);
  });

  it('reads the set statement: add, update, delete, an element timeout, one stateful statement', () => {
    const t = read(S, set('m', 'ipv4_addr', { size: 1000 }),
      rule([{ set: { op: 'update', elem: SADDR, set: '@s' } }]),
      rule([{ set: { op: 'update', elem: { elem: { val: SADDR, timeout: 60 } }, set: '@s' } }], 4),
      rule([{ set: { op: 'delete', elem: SADDR, set: '@s' } }], 5),
      rule([{ set: { op: 'add', elem: SADDR, set: '@m', stmt: [{ limit: { rate: 10, burst: 5, per: 'second', inv: true } }] } }, { drop: null }], 6),
      rule([{ set: { op: 'add', elem: SADDR, set: '@m', stmt: [{ 'ct count': { val: 3, inv: true } }] } }, { drop: null }], 7),
      rule([{ set: { op: 'add', elem: SADDR, set: '@m', stmt: [{ quota: { val: 25, val_unit: 'mbytes', inv: true } }] } }, { drop: null }], 8),
    );
    const upd = (op: string, set: string, extra: Record<string, J> = {}) => ({ kind: 'set-update', op, set, key: ['ip saddr'], ...extra });
    expect(rules(t).map((r) => r.exprs)).toEqual([
      [upd('update', 's')],
      [upd('update', 's', { timeout: 60 })],
      [upd('delete', 's')],
      [upd('add', 'm', { stateful: { what: 'limit', rate: 10, rateUnit: 'packets', per: 'second', over: true, burst: 5 } })],
      [upd('add', 'm', { stateful: { what: 'ct count', count: 3, over: true } })],
      [upd('add', 'm', { stateful: { what: 'quota', val: 25, valUnit: 'mbytes', over: true } })],
    ]);
  });

  it('refuses, located: malformed statements, what nft lists and nftlens does not model', () => {
    expect(refused(S, D, set('n', 'inet_service'),
      rule([{ set: { op: 'replace', elem: SADDR, set: 's' } }]),
      rule([{ set: { op: 'add', elem: { elem: { val: SADDR, comment: 'x' } }, set: '@s' } }], 4),
      rule([{ set: { op: 'add', elem: SADDR, set: '@s', stmt: [{ counter: null }] } }], 5),
      rule([{ set: { op: 'add', elem: SADDR, set: '@s', stmt: [{ limit: { rate: 1, per: 'second' } }, { 'ct count': { val: 1 } }] } }], 6),
      rule([{ set: { op: 'add', elem: { concat: [SADDR, 10002] }, set: '@s' } }], 7),
      rule([{ set: { op: 'add', elem: payload('tcp', 'dport'), set: '@d' } }], 8),
      rule([{ set: { op: 'add', elem: SADDR, set: '@nope' } }], 9),
      rule([{ meter: { key: SADDR, stmt: { limit: { rate: 10, burst: 5, per: 'second', inv: true } }, size: 65535, name: 'flood' } }, { drop: null }], 10),
      rule([{ set: { op: 'add', elem: numgen('inc', 2), set: '@s' } }], 11),
      rule([match('==', { '&': [SADDR, '255.255.0.0'] }, '@d')], 12),
      rule(['update @mm { ip saddr : 0x00000001 }'], 13),
    )).toEqual([
      ['NFT_SCHEMA', '"op" must be one of add, update, delete, got "replace"', 'handle 3', 'nftables[8].rule.expr[0].set.op'],
      ['NFT_SCHEMA', '"set" names a set as "@name", got string "s"', 'handle 3', 'nftables[8].rule.expr[0].set.set'],
      ['NFT_SCHEMA', 'set @d holds ipv4_addr values, which th dport cannot be compared with', 'handle 8', 'nftables[13].rule.expr[0].set.set'],
      ['NFT_UNSUPPORTED', 'unsupported: set element option "comment" in a set statement', 'handle 4', 'nftables[9].rule.expr[0].set.elem.elem.comment'],
      ['NFT_UNSUPPORTED', 'unsupported: counter on a set element', 'handle 5', 'nftables[10].rule.expr[0].set.stmt[0]'],
      ['NFT_UNSUPPORTED', 'unsupported: several statements on a set element', 'handle 6', 'nftables[11].rule.expr[0].set.stmt[1]'],
      ['NFT_UNSUPPORTED', 'unsupported: a constant in the key of a set statement', 'handle 7', 'nftables[12].rule.expr[0].set.elem.concat[1]'],
      ['NFT_UNSUPPORTED', 'unsupported: @nope (named set, not listed in this document)', 'handle 9', 'nftables[14].rule.expr[0].set.set'],
      ['NFT_UNSUPPORTED', 'unsupported: meter flood — an anonymous set the packet path updates; a named dynamic set and `add @set { … }` are modelled', 'handle 10', 'nftables[15].rule.expr[0]'],
      ['NFT_UNSUPPORTED', 'unsupported: numgen as the key of a set statement', 'handle 11', 'nftables[16].rule.expr[0].set.elem'],
      ['NFT_UNSUPPORTED', 'unsupported: bitwise & on ip saddr looked up in a dynamic set', 'handle 12', 'nftables[17].rule.expr[0]'],
      ['NFT_UNSUPPORTED', 'unsupported: statement printed as text — update @mm { ip saddr : 0x00000001 }', 'handle 13', 'nftables[18].rule.expr[0]'],
    ]);
  });
});

const REAL = sharedCorpus('fixtures/nftables/real-world/kube-proxy-services.json');

describe.skipIf(!REAL)('kube-proxy (real-world)', () => {
  it('reads without diagnostics: numgen vmaps, the affinity set (listed with flag timeout only) and its update statement', () => {
    const { ruleset, diagnostics } = importNftJson(readFileSync(REAL!, 'utf8'), 'kube-proxy-services.json');
    expect(diagnostics).toEqual([]);
    const t = ruleset.tables[0]!;
    expect(t.sets?.filter((x) => x.dynamic).map((x) => [x.flags, x.timeout, x.size])).toEqual([[['timeout'], 10800, 65535]]);
    const exprs = t.chains.flatMap((c) => c.rules.flatMap((r) => [...r.exprs, ...(r.verdict ? [r.verdict] : [])]));
    expect(exprs.filter((e) => e.kind === 'vmap' && e.lookup.state?.what === 'numgen')).toHaveLength(5);
    expect(exprs.filter((e) => e.kind === 'set-update').map((e) => e.kind === 'set-update' && [e.op, e.key])).toEqual([['update', ['ip saddr']]]);
    expect(exprs.filter((e) => e.kind === 'state' && e.source.what === 'set')).toHaveLength(1);
  });
});
