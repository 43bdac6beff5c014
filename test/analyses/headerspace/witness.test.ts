// Witnesses from boxes: maskedFrom (the smallest value at or above t whose masked bits are a
// given value, as boxWitness reads a masked mark) against a scan of every value, on 8 bits.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { maskedFrom } from '../../../src/analyses/headerspace/witness.js';

const scan = (value: number, mask: number, t: number): number | undefined => {
  for (let x = t; x < 256; x++) if ((x & mask) === value) return x;
  return undefined;
};

describe('maskedFrom', () => {
  it('is the smallest value at or above t with those bits under the mask', () => {
    fc.assert(fc.property(fc.nat(255), fc.nat(255), fc.nat(300), (v, mask, t) => {
      const value = v & mask;
      const got = maskedFrom({ value: BigInt(value), mask: BigInt(mask) }, BigInt(t), 8n);
      expect(got === undefined ? undefined : Number(got)).toBe(scan(value, mask, t));
    }), { numRuns: 5000, seed: 20261203 });
  });
});
