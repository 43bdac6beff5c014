// src/model/prng.ts: mulberry32 as published (Tommy Ettinger's reference gives 0.6270739405881613
// first for seed 1), so the cases every seeded test generates stay the same; numbers in [0, 1),
// spread evenly, and the same seed gives the same stream.

import { describe, expect, it } from 'vitest';
import { prng } from '../../src/model/prng.js';

describe('prng', () => {
  it('is mulberry32', () => {
    const r = prng(1);
    expect(r()).toBe(0.6270739405881613);
    expect([r(), r()].map((x) => x * 2 ** 32)).toEqual([11749833, 2265367787]);
  });

  it('repeats a seed, and differs between seeds', () => {
    const take = (seed: number) => { const r = prng(seed); return Array.from({ length: 100 }, () => r()); };
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
  });

  it('draws from [0, 1), about evenly', () => {
    const r = prng(7);
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const x = r();
      expect(x >= 0 && x < 1).toBe(true);
      bins[Math.floor(x * 10)]!++;
    }
    for (const b of bins) expect(Math.abs(b - 10_000)).toBeLessThan(500);
  });
});
