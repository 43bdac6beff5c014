// The BDD core against brute force: a toy header of 8 variables spread over the real order,
// every assignment enumerated. Random formulas built with and/or/diff/xor/not must agree with
// their truth tables in membership, count, witness (the smallest satisfying assignment),
// quantification and cube enumeration; ranges must be exact; a full table must return -1.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { instantiate, type AnalyzerExports } from '../../../src/analyses/headerspace/wasm.js';

function core(maxNodes = 1 << 16, ifnameBits = 2): AnalyzerExports {
  const ex = instantiate();
  expect(ex.init(ifnameBits, maxNodes, 12)).toBeGreaterThan(0);
  return ex;
}

const words = (ex: AnalyzerExports) => new Uint32Array(ex.memory.buffer, ex.io(), 64);
const bytes = (ex: AnalyzerExports) => new Uint8Array(ex.memory.buffer, ex.io(), 1024);

function write128(ex: AnalyzerExports, at: number, v: bigint): void {
  const w = words(ex);
  for (let i = 0; i < 4; i++) w[at + i] = Number((v >> BigInt(32 * i)) & 0xffffffffn);
}
function read128(ex: AnalyzerExports, at: number): bigint {
  const w = words(ex);
  let v = 0n;
  for (let i = 3; i >= 0; i--) v = (v << 32n) | BigInt(w[at + i]!);
  return v;
}

type Formula =
  | { op: 'var'; v: number }
  | { op: 'const'; value: boolean }
  | { op: 'not'; a: Formula }
  | { op: 'and' | 'or' | 'diff' | 'xor'; a: Formula; b: Formula };

const K = 8;
const formula: fc.Arbitrary<Formula> = fc.letrec<{ f: Formula }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: 0, max: K - 1 }).map((v): Formula => ({ op: 'var', v })),
    fc.boolean().map((value): Formula => ({ op: 'const', value })),
    tie('f').map((a): Formula => ({ op: 'not', a })),
    fc.record({ op: fc.constantFrom('and', 'or', 'diff', 'xor' as const), a: tie('f'), b: tie('f') }) as fc.Arbitrary<Formula>,
  ),
})).f;

function truth(f: Formula, bits: number): boolean {
  switch (f.op) {
    case 'var': return ((bits >> (K - 1 - f.v)) & 1) === 1;
    case 'const': return f.value;
    case 'not': return !truth(f.a, bits);
    case 'and': return truth(f.a, bits) && truth(f.b, bits);
    case 'or': return truth(f.a, bits) || truth(f.b, bits);
    case 'diff': return truth(f.a, bits) && !truth(f.b, bits);
    case 'xor': return truth(f.a, bits) !== truth(f.b, bits);
  }
}

describe('analyzer BDD algebra on a toy header', () => {
  const ex = core();
  const nvars = ex.variables();
  // Toy variable k is real variable VARS[k]: ascending, so toy bit order = variable order.
  const VARS = [0, 3, 9, 60, 150, 257, 300, nvars - 1];

  function literal(v: number): number {
    write128(ex, 0, 1n);
    write128(ex, 4, 1n);
    write128(ex, 8, 1n);
    return ex.range(v, 1);
  }
  function build(f: Formula): number {
    switch (f.op) {
      case 'var': return literal(VARS[f.v]!);
      case 'const': return f.value ? 1 : 0;
      case 'not': return ex.not(build(f.a));
      case 'and': return ex.and(build(f.a), build(f.b));
      case 'or': return ex.or(build(f.a), build(f.b));
      case 'diff': return ex.diff(build(f.a), build(f.b));
      case 'xor': return ex.xor(build(f.a), build(f.b));
    }
  }
  function member(n: number, bits: number): boolean {
    const b = bytes(ex);
    b.fill(0, 0, nvars);
    VARS.forEach((v, k) => (b[v] = (bits >> (K - 1 - k)) & 1));
    return ex.member(n) !== 0;
  }
  const all = Array.from({ length: 1 << K }, (_, i) => i);

  it('agrees with truth tables on membership, equality and count', () => {
    fc.assert(
      fc.property(formula, formula, (f, g) => {
        const n = build(f);
        const m = build(g);
        expect(n).toBeGreaterThanOrEqual(0);
        const table = all.filter((b) => truth(f, b));
        for (const b of all) expect(member(n, b)).toBe(truth(f, b));
        expect(ex.satCount(n) / 2 ** (nvars - K)).toBe(table.length);
        const same = all.every((b) => truth(f, b) === truth(g, b));
        expect(n === m).toBe(same); // canonical: equal functions are equal nodes
        expect(n === 0).toBe(table.length === 0);
      }),
      { numRuns: 300 },
    );
  });

  it('picks the smallest satisfying assignment as witness, variable by variable', () => {
    fc.assert(
      fc.property(formula, (f) => {
        let n = build(f);
        const table = all.filter((b) => truth(f, b));
        if (table.length === 0) return;
        let bits = 0;
        for (const [k, v] of VARS.entries()) {
          write128(ex, 0, 0n);
          expect(ex.fieldMinAtLeast(n, v, 1)).toBe(1);
          const bit = Number(read128(ex, 4));
          bits |= bit << (K - 1 - k);
          n = ex.fieldRestrict(n, v, 1);
        }
        expect(n).toBe(1);
        expect(bits).toBe(table[0]);
      }),
      { numRuns: 300 },
    );
  });

  it('quantifies existentially', () => {
    fc.assert(
      fc.property(formula, fc.subarray([...VARS.keys()]), (f, qs) => {
        const n = build(f);
        ex.quantBegin();
        for (const k of qs) ex.quantAdd(VARS[k]!, 1);
        const e = ex.exists(n);
        for (const b of all) {
          let want = false;
          for (let flip = 0; flip < 1 << qs.length; flip++) {
            let c = b;
            qs.forEach((k, j) => {
              const mask = 1 << (K - 1 - k);
              c = (flip >> j) & 1 ? c | mask : c & ~mask;
            });
            want ||= truth(f, c);
          }
          expect(member(e, b)).toBe(want);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('enumerates disjoint cubes whose union is the set', () => {
    fc.assert(
      fc.property(formula, (f) => {
        const n = build(f);
        const k = ex.cubes(n, 1000);
        expect(ex.cubesTruncated()).toBe(0);
        const out = new Uint8Array(ex.memory.buffer, ex.out(), k * nvars);
        for (const b of all) {
          let hits = 0;
          for (let c = 0; c < k; c++) {
            const cube = out.subarray(c * nvars, (c + 1) * nvars);
            const inCube = cube.every((t, v) => {
              const idx = VARS.indexOf(v);
              const bit = idx < 0 ? 0 : (b >> (K - 1 - idx)) & 1;
              return t === 2 || t === bit;
            });
            if (inCube) hits++;
          }
          expect(hits).toBe(truth(f, b) ? 1 : 0);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('analyzer ranges and field minimum', () => {
  const ex = core();
  const nvars = ex.variables();
  const W = 10; // a 10-bit toy field: the low bits of the mark's 32 variables
  const first = ex.fieldFirst((ex.FIELD_MARK.value as number)) + 32 - W;

  function range(lo: number, hi: number, mask: number): number {
    write128(ex, 0, BigInt(lo));
    write128(ex, 4, BigInt(hi));
    write128(ex, 8, BigInt(mask));
    return ex.range(first, W);
  }
  function member(n: number, x: number): boolean {
    const b = bytes(ex);
    b.fill(0, 0, nvars);
    for (let i = 0; i < W; i++) b[first + i] = (x >> (W - 1 - i)) & 1;
    return ex.member(n) !== 0;
  }
  const value = fc.integer({ min: 0, max: (1 << W) - 1 });

  it('builds {x : lo <= x & mask <= hi} exactly, in at most 4 nodes a bit', () => {
    fc.assert(
      fc.property(value, value, value, (lo, hi, mask) => {
        const n = range(lo, hi, mask);
        expect(ex.size(n)).toBeLessThanOrEqual(4 * W + 2);
        for (let x = 0; x < 1 << W; x++) expect(member(n, x)).toBe(lo <= (x & mask) && (x & mask) <= hi);
      }),
      { numRuns: 100 },
    );
  });

  it('finds the smallest member at or above a target', () => {
    const ranges = fc.array(fc.tuple(value, value), { maxLength: 4 });
    fc.assert(
      fc.property(ranges, value, (rs, target) => {
        let n = 0;
        for (const [a, b] of rs) n = ex.or(n, range(Math.min(a, b), Math.max(a, b), (1 << W) - 1));
        const members = Array.from({ length: 1 << W }, (_, x) => x).filter((x) => member(n, x));
        write128(ex, 0, BigInt(target));
        const found = ex.fieldMinAtLeast(n, first, W) === 1;
        const want = members.find((x) => x >= target);
        expect(found).toBe(want !== undefined);
        if (want !== undefined) expect(Number(read128(ex, 4))).toBe(want);
      }),
      { numRuns: 200 },
    );
  });
});

describe('analyzer node table', () => {
  it('returns -1 when the table is full, never traps, and works again after collection', () => {
    const ex = core(64);
    const nvars = ex.variables();
    // x_0 xor x_1 xor … needs a node per variable: far beyond 64.
    const lit = (v: number) => {
      write128(ex, 0, 1n);
      write128(ex, 4, 1n);
      write128(ex, 8, 1n);
      return ex.range(v, 1);
    };
    let n = lit(0);
    let failed = false;
    for (let v = 1; v < nvars && !failed; v++) {
      const l = lit(v);
      const x = l < 0 ? -1 : ex.xor(n, l);
      if (x < 0) failed = true;
      else n = x;
    }
    expect(failed).toBe(true);
    expect(ex.capacity()).toBe(64);
    ex.collect(0); // nothing referenced: everything but the terminals is freed
    expect(ex.liveNodes()).toBe(2);
    const a = lit(5);
    expect(a).toBeGreaterThan(1);
    expect(ex.satCount(a)).toBe(2 ** (nvars - 1));
  });

  it('keeps referenced nodes across collection and reuses the others', () => {
    const ex = core(1 << 12);
    const nvars = ex.variables();
    const rng = (lo: number, hi: number) => {
      write128(ex, 0, BigInt(lo));
      write128(ex, 4, BigInt(hi));
      write128(ex, 8, 0xffffn);
      return ex.range(ex.fieldFirst(ex.FIELD_DPORT.value as number), 16);
    };
    const kept = ex.or(rng(80, 88), rng(443, 443));
    ex.ref(kept);
    for (let i = 0; i < 50; i++) rng(i * 7, i * 13 + 5);
    const before = ex.liveNodes();
    ex.collect(0);
    expect(ex.liveNodes()).toBeLessThan(before);
    expect(ex.liveNodes()).toBe(ex.size(kept));
    expect(ex.satCount(kept) / 2 ** (nvars - 16)).toBe(10);
    // Rebuilding the same set after collection finds the same node (the unique table was rebuilt).
    expect(ex.or(rng(80, 88), rng(443, 443))).toBe(kept);
  });
});

describe('the worked example of index.ts', () => {
  it('th dport 80-88: 16 nodes, 9 values, two paths [80, 87] and [88]', () => {
    const ex = core();
    const nvars = ex.variables();
    const first = ex.fieldFirst(ex.FIELD_DPORT.value as number);
    write128(ex, 0, 80n);
    write128(ex, 4, 88n);
    write128(ex, 8, 0xffffn);
    const d = ex.range(first, 16);
    expect(ex.size(d)).toBe(16 + 2);
    expect(ex.satCount(d) / 2 ** (nvars - 16)).toBe(9);
    expect(ex.cubes(d, 10)).toBe(2);
    const out = new Uint8Array(ex.memory.buffer, ex.out(), 2 * nvars);
    const pattern = (c: number) => [...out.subarray(c * nvars + first, c * nvars + first + 16)].map((b) => (b === 2 ? 'x' : b)).join('');
    expect([pattern(0), pattern(1)]).toEqual(['0000000001010xxx', '0000000001011000']);
    write128(ex, 0, 80n);
    expect(ex.fieldMinAtLeast(d, first, 16)).toBe(1);
    expect(read128(ex, 4)).toBe(80n);
  });
});
