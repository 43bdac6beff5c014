// src/engine/cuts.ts: the forest's shape for the worked example of lookup.ts, the split into
// subsets by narrow field, rules that stay on bit vectors (too many interval combinations, IPv6
// keys, trees that would grow too big), and which chains compileProgram gives cut trees.

import { describe, expect, it } from 'vitest';
import { loadSet, type CbRule } from '../../bench/classbench-data.js';
import { compileProgram } from '../../src/engine/compile.js';
import { buildForest, LEAF, type CutDim } from '../../src/engine/cuts.js';
import { makeEnvironment } from '../../src/engine/environment.js';
import * as L from '../../src/engine/layout.js';
import { planRuleset } from '../../src/engine/plan.js';
import { prng } from '../../src/model/prng.js';
import type { Interval } from '../../src/model/values.js';
import type { Rule, Ruleset } from '../../src/model/ruleset.js';
import { base, m, rule, table, v } from './ir.js';

const iv = (lo: number, hi = lo): Interval[] => [{ lo: BigInt(lo), hi: BigInt(hi) }];
const ip = (s: string) => s.split('.').reduce((x, p) => x * 256 + Number(p), 0);
const DIMS: CutDim[] = [{ slot: L.K_SADDR, mask: 0xffffffff, bits: 32 }, { slot: L.K_DPORT, mask: 0xffffffff, bits: 16 }];

/** Reads a forest back: per tree its first rule and the leaves (rule lists) in key order. */
function leaves(f: Uint32Array): { first: number; leaves: number[][] }[] {
  const nd = f[L.F_NDIMS]!;
  const out = [];
  for (let t = 0; t < f[L.F_NTREES]!; t++) {
    const at = L.F_DIMS + nd * L.F_DIM_WORDS + t * L.F_TREE_WORDS;
    const found: number[][] = [];
    const walk = (off: number, h: number) => {
      if (h & LEAF) {
        const n = h & ~LEAF;
        found.push(Array.from({ length: n }, (_, j) => f[off + j * (1 + 2 * nd)]!));
        return;
      }
      let prev = -1;
      // Children: 2^(b + b2) slots (header: dim 4 bits, shift 5, b 5, dim2 4, shift2 5, b2 5).
      for (let i = 0; i < 2 ** (((h >>> 9) & 31) + ((h >>> 23) & 31)); i++) {
        if (f[off + 2 * i] === prev) continue;
        prev = f[off + 2 * i]!;
        walk(f[off + 2 * i]!, f[off + 2 * i + 1]!);
      }
    };
    walk(f[at + 1]!, f[at + 2]!);
    out.push({ first: f[at]!, leaves: found });
  }
  return out;
}

describe('buildForest', () => {
  it('splits narrow-address rules from wildcards and cuts them apart (the worked example)', () => {
    // 12 rules on 10.0.0.i/32 (i = 0…11), then 10 rules on ports 1000+i with any address.
    const perRule = [
      ...Array.from({ length: 12 }, (_, i) => [iv(ip('10.0.0.0') + i), null]),
      ...Array.from({ length: 10 }, (_, i) => [null, iv(1000 + i)]),
    ];
    const f = buildForest(DIMS, perRule)!;
    const trees = leaves(f);
    expect(trees.map((t) => t.first)).toEqual([0, 12]);
    // Tree 0 holds only address rules, at most BINTH (8) per leaf, each rule exactly once.
    expect(trees[0]!.leaves.flat().sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    expect(Math.max(...trees[0]!.leaves.map((l) => l.length))).toBeLessThanOrEqual(8);
    expect(trees[1]!.leaves.flat().sort((a, b) => a - b)).toEqual([...Array(10).keys()].map((i) => i + 12));
    // Pieces in the flat list: every rule once, in order.
    const nd = f[L.F_NDIMS]!;
    const flat = f[L.F_FLAT]!;
    expect(Array.from({ length: f[L.F_NPIECES]! }, (_, j) => f[flat + j * (1 + 2 * nd)])).toEqual([...Array(22).keys()]);
  });

  it('keeps leaves in rule order, a rule in several leaves when its range spans cuts', () => {
    const perRule = Array.from({ length: 40 }, (_, i) => [null, i % 10 === 9 ? iv(0, 65535) : iv(i * 1000, i * 1000 + 1500)]);
    for (const t of leaves(buildForest(DIMS, perRule)!)) {
      for (const l of t.leaves) expect(l).toEqual([...l].sort((a, b) => a - b));
    }
  });

  it('splits a rule with sets into pieces, and refuses one with too many combinations', () => {
    const three = [{ lo: 1n, hi: 1n }, { lo: 5n, hi: 5n }, { lo: 9n, hi: 9n }];
    const f = buildForest(DIMS, [[three, three]])!;
    expect(f[L.F_NPIECES]).toBe(9);
    const five = [...three, { lo: 20n, hi: 20n }, { lo: 30n, hi: 30n }];
    expect(buildForest(DIMS, [[five, five]])).toBeNull();
  });

  const CB_DIMS: CutDim[] = [
    { slot: L.K_SADDR, mask: 0xffffffff, bits: 32 }, { slot: L.K_DADDR, mask: 0xffffffff, bits: 32 },
    { slot: L.K_SPORT, mask: 0xffffffff, bits: 16 }, { slot: L.K_DPORT, mask: 0xffffffff, bits: 16 },
    { slot: L.K_L4PROTO, mask: 0xffffffff, bits: 8 },
  ];
  const range = (r: [number, number]) => [{ lo: BigInt(r[0]), hi: BigInt(r[1]) }];
  const cbFields = (r: CbRule) => [range(r.src), range(r.dst), range(r.sport), range(r.dport), r.proto < 0 ? null : range([r.proto, r.proto])];

  it('gives up (null) when rules wide in every field would replicate past the budget', () => {
    // Boxes a quarter of the space wide in both addresses and both ports, at scattered places:
    // every cut copies most boxes into several children, level after level.
    const rnd = prng(1);
    const at = (bits: number): [number, number] => {
      const lo = Math.floor(rnd() * (2 ** bits * 0.75));
      return [lo, lo + 2 ** bits / 4];
    };
    const boxes = Array.from({ length: 2000 }, (): CbRule => ({ src: at(32), dst: at(32), sport: at(16), dport: at(16), proto: 6 }));
    expect(buildForest(CB_DIMS, boxes.map(cbFields))).toBeNull();
  });

  it('puts ACL address pairs in a tree of their own, cut two fields a node in a small chain', () => {
    const { rules } = loadSet('acl1_1k');
    const f = buildForest(CB_DIMS, rules.map(cbFields))!;
    const nd = f[L.F_NDIMS]!;
    const trees = Array.from({ length: f[L.F_NTREES]! }, (_, t) => L.F_DIMS + nd * L.F_DIM_WORDS + t * L.F_TREE_WORDS);
    // Tree 1: the rules narrow in both addresses (all but the few wide in one of them).
    const narrow = (r: CbRule) => r.src[1] - r.src[0] < 2 ** 16 && r.dst[1] - r.dst[0] < 2 ** 16;
    expect(f[trees[0]!]).toBe(0);
    expect(leaves(f)[0]!.leaves.flat().every((r) => narrow(rules[r]!))).toBe(true);
    // Some node of it cuts two dims at once (b2 > 0); a node's b + b2 never exceeds 16.
    const headers: number[] = [];
    const walk = (at: number, h: number, depth: number) => {
      if (h & LEAF || depth > 30) return;
      headers.push(h);
      const n = 2 ** (((h >>> 9) & 31) + ((h >>> 23) & 31));
      for (let i = 0; i < n; i++) if (i === 0 || f[at + 2 * i] !== f[at + 2 * i - 2]) walk(f[at + 2 * i]!, f[at + 2 * i + 1]!, depth + 1);
    };
    walk(f[trees[0]! + 1]!, f[trees[0]! + 2]!, 0);
    expect(headers.some((h) => (h >>> 23) & 31)).toBe(true);
    expect(headers.every((h) => ((h >>> 9) & 31) + ((h >>> 23) & 31) <= 16)).toBe(true);
  });

  it('splits on address and port fields only, so ClassBench fw1 and acl1 get trees within the budget', () => {
    // fw1: narrow in no field but the protocol for most rules; split on the protocol, one tree took
    // them all and blew the budget. Split on daddr, saddr, dport instead, the trees fit.
    for (const name of ['fw1_1k', 'acl1_1k']) {
      const { rules } = loadSet(name);
      const f = buildForest(CB_DIMS, rules.map(cbFields));
      expect(f, name).not.toBeNull();
      expect(f!.length).toBeLessThanOrEqual(Math.max(2 ** 18, 8 * rules.length * 11));
    }
  });
});

describe('compileProgram: which chains get cut trees', () => {
  const chainOf = (family: 'ip' | 'ip6', rules: Rule[]): Ruleset => ({ tables: [table(family, 't', [base('c', { hook: 'forward' }, rules)])] });
  const lookups = (rs: Ruleset) => compileProgram(planRuleset(rs), makeEnvironment({})).lookups;

  it('an IPv4 chain of 100 rules: cut trees; 10 rules: bit vectors', () => {
    const rules = (n: number) => Array.from({ length: n }, (_, i) => rule([m('ip saddr', `10.0.${i >> 8}.${i & 255}`), m('th dport', 80)], v('accept')));
    expect(lookups(chainOf('ip', rules(100)))).toEqual(['forest']);
    expect(lookups(chainOf('ip', rules(10)))).toEqual(['bits']);
  });

  it('an IPv6 chain: bit vectors (128-bit keys)', () => {
    const rules = Array.from({ length: 100 }, (_, i) => rule([m('ip6 saddr', `fd00::${i.toString(16)}`)], v('accept')));
    expect(lookups(chainOf('ip6', rules))).toEqual(['bits']);
  });
});
