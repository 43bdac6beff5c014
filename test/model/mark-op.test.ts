// Mark arithmetic folding: any chain of &, |, ^ with constants, folded to (and, xor), computes what
// the chain computes; the printed steps compute it too.
import { describe, expect, it } from 'vitest';
import { applyMarkOp, ALL_BITS, foldMarkOp, markOpSteps } from '../../src/model/mark-op.js';
import { prng } from '../../src/model/prng.js';

const run = (ops: ['&' | '|' | '^', number][], v: number): number =>
  ops.reduce((x, [op, c]) => (op === '&' ? x & c : op === '|' ? x | c : x ^ c) >>> 0, v >>> 0);

describe('mark arithmetic folding', () => {
  it('folds random chains exactly, and markOpSteps prints an equivalent chain', () => {
    const rnd = prng(7);
    const u32 = (): number => Math.floor(rnd() * 2 ** 32) >>> 0;
    const small = (): number => [0, 0xff, 0xff00, 0xffff00ff, ALL_BITS, 0x10, u32()][Math.floor(rnd() * 7)]!;
    for (let i = 0; i < 2000; i++) {
      const ops = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => [(['&', '|', '^'] as const)[Math.floor(rnd() * 3)]!, small()] as ['&' | '|' | '^', number]);
      let [and, xor] = [ALL_BITS, 0];
      for (const [op, c] of ops) [and, xor] = foldMarkOp(and, xor, op, c);
      const steps = markOpSteps(and, xor);
      for (let k = 0; k < 8; k++) {
        const v = u32();
        expect(applyMarkOp({ source: 'meta mark', and, xor }, v)).toBe(run(ops, v));
        expect(run(steps, v)).toBe(run(ops, v));
      }
    }
  });

  it('prints the usual forms', () => {
    expect(markOpSteps(0xffff00ff, 0x100)).toEqual([['&', 0xffff00ff], ['|', 0x100]]);
    expect(markOpSteps(~0x4000 >>> 0, 0x4000)).toEqual([['|', 0x4000]]);
    expect(markOpSteps(ALL_BITS, 0x4000)).toEqual([['^', 0x4000]]);
    expect(markOpSteps(0xff00, 0)).toEqual([['&', 0xff00]]);
    expect(markOpSteps(ALL_BITS, 0)).toEqual([]);
  });
});
