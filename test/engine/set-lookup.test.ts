// Big sets matched after a statement (the op stream's OP_MATCH, a binary search over sorted
// disjoint intervals in assembly/engine/exec.ts): the WASM classifier agrees with the reference
// interpreter on every packet, inside, outside and at both ends of every interval, for IPv4
// addresses, ports and IPv6 addresses, with `==` and `!=`; and big IPv4 sets as leading matches.
import { describe, expect, it } from 'vitest';
import { compileRuleset, makePacket, ReferenceEngine, type Packet } from '../../src/engine/index.js';
import { formatAddress } from '../../src/model/values.js';
import { prng } from '../../src/model/prng.js';
import type { Item } from '../../src/model/ruleset.js';
import { base, counter, m, rule, setMark, table, v } from './ir.js';

/** n disjoint intervals [lo, hi] in 0..2^bits-1, sorted, with gaps between them. */
function intervals(seed: number, n: number, step: number): [number, number][] {
  const rnd = prng(seed);
  const out: [number, number][] = [];
  let at = 1 + Math.floor(rnd() * step);
  for (let i = 0; i < n; i++) {
    const len = Math.floor(rnd() * step / 2);
    out.push([at, at + len]);
    at += len + 2 + Math.floor(rnd() * step);
  }
  return out;
}

describe('set lookup after a statement', () => {
  it.each([['==' as const], ['!=' as const]])('agrees with the reference on %s over 2000-element sets', (op) => {
    const v4 = intervals(1, 2000, 1 << 20);
    const ports = intervals(2, 2000, 30);
    const v6 = intervals(3, 2000, 1 << 20);
    const v4Items: Item[] = v4.map(([lo, hi], i) => (i % 3 === 0 ? formatAddress(BigInt(lo), 4) : { range: [formatAddress(BigInt(lo), 4), formatAddress(BigInt(hi), 4)] }));
    const v6Items: Item[] = v6.map(([lo, hi]) => ({ range: [formatAddress((0xfd00n << 112n) + BigInt(lo), 6), formatAddress((0xfd00n << 112n) + BigInt(hi), 6)] }));
    const portItems: Item[] = ports.map(([lo, hi]) => ({ range: [lo, hi] }));
    const rs = {
      tables: [table('inet', 't', [base('fwd', { hook: 'forward' }, [
        rule([counter, m('ip saddr', { set: v4Items }, op), counter, m('th dport', { set: portItems }, op), counter], v('drop')),
        rule([counter, m('ip6 daddr', { set: v6Items }, op), counter], v('reject')),
      ])])],
    };
    const wasm = compileRuleset(rs);
    const ref = new ReferenceEngine(rs);
    const packets: Packet[] = [];
    const rnd = prng(4);
    for (let i = 0; i < 3000; i++) {
      const [lo4, hi4] = v4[Math.floor(rnd() * v4.length)]!;
      const [lo6, hi6] = v6[Math.floor(rnd() * v6.length)]!;
      const [lop, hip] = ports[Math.floor(rnd() * ports.length)]!;
      const pick = (lo: number, hi: number) => [lo - 1, lo, hi, hi + 1, lo + Math.floor(rnd() * (hi - lo + 1))][Math.floor(rnd() * 5)]!;
      packets.push(makePacket({ l4proto: 6, saddr: formatAddress(BigInt(pick(lo4, hi4)), 4), daddr: '10.0.0.1', dport: pick(lop, hip) & 0xffff, iifname: 'eth0', oifname: 'eth1' }));
      packets.push(makePacket({ l4proto: 17, saddr: 'fd01::1', daddr: formatAddress((0xfd00n << 112n) + BigInt(pick(lo6, hi6)), 6), iifname: 'eth0', oifname: 'eth1' }));
    }
    const verdicts = new Set<string>();
    for (const p of packets) {
      const got = wasm.evaluate(p);
      expect(got).toEqual(ref.evaluate(p));
      verdicts.add(got.verdict);
    }
    expect([...verdicts].sort()).toEqual(['accept', 'drop', 'reject']);
    expect(Array.from(wasm.counterArray())).toEqual(Array.from(ref.counterValues));
  });
});

// The same sets as leading matches: the chain's bit vectors locate the key through the slot index
// of src/engine/dims.ts (IDX_SHIFT: slots of 2^s keys from the first boundary to the last), so
// keys below the first boundary, inside, at both ends and beyond the last must all land right;
// spans narrow (a few bits a slot) and wide (the whole address space, big slots).
describe('set lookup as a leading match (the slot index)', () => {
  it.each([
    ['narrow span', 1 << 6, 5000],
    ['wide span', 2 ** 32 / 700, 600],
  ])('agrees with the reference over a %s', (_name, step, n) => {
    const v4 = intervals(5, n, step).filter(([, hi]) => hi < 2 ** 32 - 1);
    const items: Item[] = v4.map(([lo, hi], i) => (i % 4 === 0 ? formatAddress(BigInt(lo), 4) : { range: [formatAddress(BigInt(lo), 4), formatAddress(BigInt(hi), 4)] }));
    const rs = { tables: [table('ip', 't', [base('fwd', { hook: 'forward' }, [rule([m('ip saddr', { set: items })], v('drop')), rule([m('ip saddr', '0.0.0.0')], v('reject'))])])] };
    const wasm = compileRuleset(rs);
    expect(wasm.plan.rules.length).toBe(2);
    const ref = new ReferenceEngine(rs);
    const rnd = prng(6);
    const keys = [0, 1, v4[0]![0] - 1, v4.at(-1)![1] + 1, 2 ** 32 - 1];
    for (let i = 0; i < 3000; i++) {
      const [lo, hi] = v4[Math.floor(rnd() * v4.length)]!;
      keys.push([lo - 1, lo, hi, hi + 1, lo + Math.floor(rnd() * (hi - lo + 1))][Math.floor(rnd() * 5)]!);
    }
    const verdicts = new Set<string>();
    for (const k of keys) {
      const p = makePacket({ l4proto: 6, saddr: formatAddress(BigInt(k >>> 0), 4), daddr: '10.0.0.1', iifname: 'eth0', oifname: 'eth1' });
      const got = wasm.evaluate(p);
      expect(got).toEqual(ref.evaluate(p));
      verdicts.add(got.verdict);
    }
    expect([...verdicts].sort()).toEqual(['accept', 'drop', 'reject']);
  });
});

// A big concatenation after a statement that changes the packet (so that it stays one lookup, not
// one rule per element: model/expand-maps.ts): searched by cut trees over its elements
// (compile.ts concatForest) when every field is of at most 32 bits, scanned otherwise (IPv6).
describe('concatenation lookup (cut trees over the elements)', () => {
  it.each([['==' as const], ['!=' as const]])('agrees with the reference on %s over 1500-element concatenations', (op) => {
    const v4 = intervals(7, 1500, 1 << 12);
    const ports = intervals(8, 1500, 30);
    const v6 = intervals(9, 300, 1 << 12);
    const rnd = prng(10);
    const el4 = v4.map(([lo, hi], i) => [
      i % 3 === 0 ? formatAddress(BigInt(lo), 4) : { range: [formatAddress(BigInt(lo), 4), formatAddress(BigInt(hi), 4)] },
      { range: ports[i]! },
      ['eth0', 'eth1', 'veth*'][Math.floor(rnd() * 3)]!,
    ] as Item[]);
    const el6 = v6.map(([lo, hi], i) => [{ range: [formatAddress((0xfd00n << 112n) + BigInt(lo), 6), formatAddress((0xfd00n << 112n) + BigInt(hi), 6)] }, ports[i]![0]] as Item[]);
    const o = {};
    const rs = {
      tables: [table('inet', 't', [base('fwd', { hook: 'forward' }, [
        rule([counter, setMark('meta mark', 5), { kind: 'concat' as const, fields: ['ip saddr' as const, 'th dport' as const, 'meta iifname' as const], op, elements: el4, origin: o }, counter], v('drop')),
        rule([counter, setMark('meta mark', 6), { kind: 'concat' as const, fields: ['ip6 daddr' as const, 'th dport' as const], op, elements: el6, origin: o }], v('reject')),
      ])])],
    };
    const wasm = compileRuleset(rs);
    const ref = new ReferenceEngine(rs);
    const pick = (lo: number, hi: number) => [lo - 1, lo, hi, hi + 1, lo + Math.floor(rnd() * (hi - lo + 1))][Math.floor(rnd() * 5)]!;
    const verdicts = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const j = Math.floor(rnd() * v4.length);
      const k = Math.floor(rnd() * v6.length);
      const iif = ['eth0', 'eth1', 'veth7', 'lo'][Math.floor(rnd() * 4)]!;
      for (const p of [
        makePacket({ l4proto: 6, saddr: formatAddress(BigInt(pick(v4[j]![0], v4[j]![1])), 4), daddr: '10.0.0.1', dport: pick(ports[j]![0], ports[j]![1]) & 0xffff, iifname: iif, oifname: 'eth1' }),
        makePacket({ l4proto: 17, saddr: 'fd01::1', daddr: formatAddress((0xfd00n << 112n) + BigInt(pick(v6[k]![0], v6[k]![1])), 6), dport: pick(ports[k]![0], ports[k]![0]) & 0xffff, iifname: iif, oifname: 'eth1' }),
      ]) {
        const got = wasm.evaluate(p);
        expect(got).toEqual(ref.evaluate(p));
        verdicts.add(got.verdict);
      }
    }
    expect([...verdicts].sort()).toEqual(['accept', 'drop', 'reject']);
    expect(Array.from(wasm.counterArray())).toEqual(Array.from(ref.counterValues));
  });
});
