// The nft-JSON front end on the expressions issue 12 added: what each becomes in the IR, checked
// against the shapes nft 1.0.6 lists (the real-world fixtures), and how what stays refused is reported.

import { describe, expect, it } from 'vitest';
import { importNftJson } from '../../../src/frontends/nft-json/index.js';
import type { Rule } from '../../../src/model/ruleset.js';
import { renderFib, renderMatch, renderStatement } from '../../../src/backends/nft/render-json.js';
import { fails } from './support.js';

type J = unknown;
const table = (family = 'inet') => ({ table: { family, name: 't', handle: 1 } });
const chain = (family = 'inet') => ({ chain: { family, table: 't', name: 'c', handle: 2, type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } });
const rule = (expr: J[], family = 'inet') => ({ rule: { family, table: 't', chain: 'c', handle: 3, expr } });
const doc = (...items: J[]) => ({ nftables: [{ metainfo: { json_schema_version: 1 } }, ...items] });
const meta = (key: string) => ({ meta: { key } });
const ct = (key: string) => ({ ct: { key } });
const mangle = (key: J, value: J) => ({ mangle: { key, value } });

function one(expr: J[], family = 'inet'): Rule {
  const { ruleset } = importNftJson(doc(table(family), chain(family), rule(expr, family)), 'test.json');
  return JSON.parse(JSON.stringify(ruleset.tables[0]!.chains[0]!.rules[0], (k, v) => (k === 'origin' || k === 'handle' ? undefined : v)));
}

describe('mark arithmetic', () => {
  it("folds &, |, ^ with constants over a mark into the kernel's (src & and) ^ xor", () => {
    const set = (key: J, value: J) => one([mangle(key, value)]).exprs[0];
    // kube-proxy, calico, tailscale shapes (real-world fixtures).
    expect(set(meta('mark'), { '|': [meta('mark'), 16384] })).toEqual({ kind: 'set-mark', key: 'meta mark', value: 'meta mark', and: 0xffffbfff, xor: 16384 });
    expect(set(meta('mark'), { '^': [meta('mark'), 16384] })).toEqual({ kind: 'set-mark', key: 'meta mark', value: 'meta mark', xor: 16384 });
    expect(set(meta('mark'), { '&': [meta('mark'), 4293197823] })).toEqual({ kind: 'set-mark', key: 'meta mark', value: 'meta mark', and: 4293197823 });
    // nft lists `& 0xffff04ff | 0x400`: the & keeps the bit the | sets, which makes no difference.
    expect(set(meta('mark'), { '|': [{ '&': [meta('mark'), 0xffff04ff] }, 0x400] })).toEqual({
      kind: 'set-mark', key: 'meta mark', value: 'meta mark', and: 0xffff00ff, xor: 0x400,
    });
    expect(set(ct('mark'), { '&': [meta('mark'), 65280] })).toEqual({ kind: 'set-mark', key: 'ct mark', value: 'meta mark', and: 65280 });
    expect(set(meta('mark'), { '&': [ct('mark'), 65280] })).toEqual({ kind: 'set-mark', key: 'meta mark', value: 'ct mark', and: 65280 });
    // `| c` then `& d`: bits c sets that d clears are gone.
    expect(set(meta('mark'), { '&': [{ '|': [meta('mark'), 0xf0] }, 0x3c] })).toEqual({ kind: 'set-mark', key: 'meta mark', value: 'meta mark', and: 0x0c, xor: 0x30 });
  });

  it('renders back the same folded statement (JSON and text forms)', () => {
    for (const value of [{ '|': [{ '&': [meta('mark'), 4294903039] }, 1024] }, { '^': [ct('mark'), 5] }, { '|': [meta('mark'), 16] }, { '^': [{ '&': [meta('mark'), 0xff] }, 0x101] }]) {
      const input = doc(table(), chain(), rule([mangle(meta('mark'), value)]));
      const { ruleset } = importNftJson(input, 'a.json');
      const stmt = ruleset.tables[0]!.chains[0]!.rules[0]!.exprs[0]!;
      expect(stmt.kind).toBe('set-mark');
      const again = importNftJson(doc(table(), chain(), rule([renderStatement(stmt as never)])), 'b.json').ruleset;
      expect(again.tables[0]!.chains[0]!.rules[0]!.exprs.map((e) => ({ ...e, origin: {} }))).toEqual(ruleset.tables[0]!.chains[0]!.rules[0]!.exprs.map((e) => ({ ...e, origin: {} })));
    }
  });

  it('refuses shifts and non-constant operands with a located error', () => {
    const d = fails(doc(table(), chain(), rule([mangle(ct('mark'), { '<<': [{ '|': [meta('mark'), 16] }, 8] })])));
    expect(d.map((x) => [x.code, x.message.split(' — ')[0]])).toEqual([['NFT_UNSUPPORTED', 'unsupported: ct mark set <<']]);
    expect(d[0]!.origin).toMatchObject({ file: 'bad.json', table: 'inet t', chain: 'c', rule: 'handle 3' });
    const e = fails(doc(table(), chain(), rule([mangle(meta('mark'), { '&': [meta('mark'), 'x'] })])));
    expect(e.map((x) => x.code)).toEqual(['NFT_SCHEMA']);
  });
});

describe('meta iif / oif', () => {
  const match = (op: string, left: J, right: J) => ({ match: { op, left, right } });
  it('reads the names nft lists as exact interface names, marked as indexes', () => {
    expect(one([match('==', meta('iif'), 'lo'), match('!=', meta('oif'), { set: ['eth0', 'eth1'] })]).exprs).toEqual([
      { kind: 'match', field: 'meta iifname', op: '==', value: 'lo', ifindex: true },
      { kind: 'match', field: 'meta oifname', op: '!=', value: { set: ['eth0', 'eth1'] }, ifindex: true },
    ]);
  });

  it('renders them back as iif/oif', () => {
    const { ruleset } = importNftJson(doc(table(), chain(), rule([match('==', meta('oif'), 'lo')])), 'a.json');
    const mt = ruleset.tables[0]!.chains[0]!.rules[0]!.exprs[0]!;
    expect(renderMatch(mt as never)).toEqual({ match: { op: '==', left: meta('oif'), right: 'lo' } });
  });

  it('refuses an index without a name and a name with *, located', () => {
    const d = fails(doc(table(), chain(), rule([match('==', meta('iif'), 7)])));
    expect(d.map((x) => [x.code, x.message.split(' — ')[0]])).toEqual([['NFT_UNSUPPORTED', 'unsupported: meta iif 7 (an interface index with no name)']]);
    expect(d[0]!.origin).toMatchObject({ table: 'inet t', chain: 'c', rule: 'handle 3' });
    expect(fails(doc(table(), chain(), rule([match('==', meta('oif'), 'eth*')]))).map((x) => x.code)).toEqual(['NFT_UNSUPPORTED']);
  });
});

describe('fib', () => {
  const match = (op: string, left: J, right: J) => ({ match: { op, left, right } });
  const fib = (result: string, ...flags: string[]) => ({ fib: { result, flags } });
  it('reads `fib saddr|daddr type [!=] local` (kube-proxy, docker, calico shapes) and renders it back', () => {
    const r = one([match('==', fib('type', 'daddr'), 'local'), match('!=', fib('type', 'saddr'), 'local')]);
    expect(r.exprs).toEqual([{ kind: 'fib', result: 'type', addr: 'daddr', op: '==', type: 'local' }, { kind: 'fib', result: 'type', addr: 'saddr', op: '!=', type: 'local' }]);
    const { ruleset } = importNftJson(doc(table(), chain(), rule([match('!=', fib('type', 'saddr'), 'local')])), 'a.json');
    expect(renderFib(ruleset.tables[0]!.chains[0]!.rules[0]!.exprs[0] as never)).toEqual(match('!=', fib('type', 'saddr'), 'local'));
  });

  it('reads route lookups compared with exists, missing or 0, and renders them back', () => {
    const r = one([match('==', fib('oif', 'saddr', 'iif'), false), match('!=', fib('oif', 'saddr', 'mark', 'iif'), '0'), match('==', fib('oif', 'daddr'), true)]);
    expect(r.exprs).toEqual([
      { kind: 'fib', result: 'oif', addr: 'saddr', through: 'iif', op: '==', value: false },
      { kind: 'fib', result: 'oif', addr: 'saddr', through: 'iif', mark: true, op: '!=', value: 0 },
      { kind: 'fib', result: 'oif', addr: 'daddr', op: '==', value: true },
    ]);
    const { ruleset } = importNftJson(doc(table(), chain(), rule([match('!=', fib('oif', 'saddr', 'mark', 'iif'), '0')])), 'a.json');
    expect(renderFib(ruleset.tables[0]!.chains[0]!.rules[0]!.exprs[0] as never)).toEqual(match('!=', fib('oif', 'saddr', 'mark', 'iif'), '0'));
  });

  it('reads a type through an interface (`fib saddr . oif type != local`, Calico\'s)', () => {
    expect(one([match('!=', fib('type', 'saddr', 'oif'), 'local')]).exprs).toEqual([{ kind: 'fib', result: 'type', addr: 'saddr', through: 'oif', op: '!=', type: 'local' }]);
  });

  it('refuses other types, a mark on a type, other results and interface names, by name and located', () => {
    const refused = (x: J) => fails(doc(table(), chain(), rule([x]))).map((d) => [d.code, d.message.split(' — ')[0], d.origin.field]);
    expect(refused(match('==', fib('type', 'daddr'), 'unicast'))).toEqual([['NFT_UNSUPPORTED', 'unsupported: fib daddr type unicast (only local is modelled)', 'nftables[3].rule.expr[0]']]);
    expect(refused(match('!=', fib('type', 'saddr', 'mark', 'oif'), 'local'))).toEqual([['NFT_UNSUPPORTED', 'unsupported: fib saddr . mark . oif type', 'nftables[3].rule.expr[0].left']]);
    expect(refused(match('==', fib('oifname', 'saddr'), 'eth0'))).toEqual([['NFT_UNSUPPORTED', 'unsupported: fib saddr oifname', 'nftables[3].rule.expr[0].left']]);
    expect(refused(match('==', fib('oif', 'saddr', 'iif'), 'eth0'))).toEqual([['NFT_UNSUPPORTED', 'unsupported: fib saddr . iif oif "eth0" (exists, missing and 0 are modelled)', 'nftables[3].rule.expr[0].right']]);
  });
});
