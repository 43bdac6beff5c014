// src/engine/columns.ts: a chain's leading constraints as columns — one interval of a 32-bit field
// kept as numbers (narrowed by a second match on the same dim), a prefix with host bits set or an
// empty range as "never matches", interval lists for what numbers cannot say, and both read-backs:
// buildDim's lists and the cut-tree pieces (the columns themselves when no rule holds a list).
import { describe, expect, it } from 'vitest';
import { Columns, S_LIST, S_NONE, S_ONE } from '../../src/engine/columns.js';
import * as L from '../../src/engine/layout.js';
import type { Match } from '../../src/model/ruleset.js';
import { m } from './ir.js';

const iv = (lo: number, hi = lo) => ({ lo: BigInt(lo), hi: BigInt(hi) });

describe('Columns', () => {
  it('keeps one interval of a 32-bit field as numbers, narrowed by a second match', () => {
    const c = new Columns(3);
    const d = c.dim(L.K_DPORT, 1, 0xffffffff, 65536);
    expect(c.dim(L.K_DPORT, 1, 0xffffffff, 65536)).toBe(d);
    expect(c.addSimple(d, 0, m('th dport', { range: [1000, 2000] }), 'uint', 16)).toBe(true);
    c.addRange(d, 0, 1500, 3000);
    expect(c.addSimple(d, 1, m('th dport', 22), 'uint', 16)).toBe(true);
    c.addRange(d, 1, 23, 30); // disjoint: never matches
    expect([c.state[d]![0], c.lo[d]![0], c.hi[d]![0]]).toEqual([S_ONE, 1500, 2000]);
    expect(c.state[d]![1]).toBe(S_LIST);
    expect(c.state[d]![2]).toBe(S_NONE);
    expect(c.column(d)).toEqual([[iv(1500, 2000)], [], null]);
  });

  it('reads IPv4 addresses and prefixes as numbers; host bits set match nothing; the rest is left to the caller', () => {
    const c = new Columns(4);
    const d = c.dim(L.K_SADDR, 1, 0xffffffff, undefined);
    expect(c.addSimple(d, 0, m('ip saddr', { prefix: '10.1.0.0', len: 16 }), 'ipv4', 32)).toBe(true);
    expect(c.addSimple(d, 1, m('ip saddr', '192.0.2.7'), 'ipv4', 32)).toBe(true);
    expect(c.addSimple(d, 2, m('ip saddr', { prefix: '10.1.0.1', len: 16 }), 'ipv4', 32)).toBe(true);
    for (const x of [m('ip saddr', '10.0.0.1', '!='), m('ip saddr', '10.0.0.01'), m('ip saddr', { set: ['10.0.0.1'] }), m('ip saddr', '10.0.0.1', '==', 0xff)] as Match[]) {
      expect(c.addSimple(d, 3, x, 'ipv4', 32)).toBe(false);
    }
    expect(c.column(d)).toEqual([[iv(0x0a010000, 0x0a01ffff)], [iv(0xc0000207)], [], null]);
  });

  it('gives the columns themselves as pieces when no rule holds a list, every combination otherwise', () => {
    const c = new Columns(2);
    const a = c.dim(L.K_SADDR, 1, 0xffffffff, undefined);
    const p = c.dim(L.K_DPORT, 1, 0xffffffff, 65536);
    c.addRange(a, 0, 5, 9);
    c.addRange(p, 1, 80, 80);
    const plain = c.pieces([p, a])!;
    expect(plain.n).toBe(2);
    expect(plain.lo[0]).toBe(c.lo[p]);
    expect([...plain.lo[1]!, ...plain.hi[1]!]).toEqual([5, 0, 9, 0xffffffff]);
    c.addList(p, 0, [iv(1, 2), iv(4, 4), iv(8, 9)]);
    const listed = c.pieces([a, p])!;
    expect([...listed.rule]).toEqual([0, 0, 0, 1]);
    expect([...listed.lo[1]!]).toEqual([1, 4, 8, 80]);
    expect([...listed.lo[0]!]).toEqual([5, 5, 5, 0]);
    c.addList(a, 0, [iv(0, 1), iv(20, 21)]); // nothing left of [5, 9]: rule 0 never matches, no piece
    expect([...c.pieces([a, p])!.rule]).toEqual([1]);
    const big = new Columns(1);
    const five = Array.from({ length: 5 }, (_, i) => iv(10 * i, 10 * i + 1));
    big.addList(big.dim(L.K_SADDR, 1, 0xffffffff, undefined), 0, five);
    big.addList(big.dim(L.K_DADDR, 1, 0xffffffff, undefined), 0, five);
    expect(big.pieces([0, 1])).toBeNull(); // 25 combinations > 16: bit vectors
  });
});
