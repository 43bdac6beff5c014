// Mark arithmetic: what `meta mark set …` / `ct mark set …` writes, as the kernel's nft_bitwise
// computes it — `(source & and) ^ xor` on 32 bits. nft folds any chain of `&`, `|` and `^` with
// constants into that one pair; front ends fold with the same rules, back ends print it back, and
// the engine, the reference interpreter and the analyses all read markOp().
//
//   x & c  → and &= c,            xor &= c
//   x | c  → and &= ~c,           xor |= c
//   x ^ c  →                      xor ^= c

import type { SetMarkStmt } from './ruleset.js';

export const ALL_BITS = 0xffffffff;

export interface MarkOp {
  /** 0: a constant (`xor`), else the mark read. */
  source: 'meta mark' | 'ct mark' | undefined;
  and: number;
  xor: number;
}

/** The statement's effect as source, and, xor (a constant has no source and `and` 0). */
export function markOp(s: Pick<SetMarkStmt, 'value' | 'and' | 'xor'>): MarkOp {
  if (typeof s.value === 'number') return { source: undefined, and: 0, xor: s.value >>> 0 };
  if (typeof s.value === 'object') throw new TypeError('markOp: a mark from a map is expanded first (src/model/expand-maps.ts)');
  return { source: s.value, and: (s.and ?? ALL_BITS) >>> 0, xor: (s.xor ?? 0) >>> 0 };
}

/** `(v & and) ^ xor`, unsigned. */
export function applyMarkOp(op: MarkOp, v: number): number {
  return ((v & op.and) ^ op.xor) >>> 0;
}

/** Folds one more binary operation with a constant into (and, xor). */
export function foldMarkOp(and: number, xor: number, op: '&' | '|' | '^', c: number): [number, number] {
  switch (op) {
    case '&':
      return [(and & c) >>> 0, (xor & c) >>> 0];
    case '|':
      return [(and & ~c) >>> 0, (xor | c) >>> 0];
    case '^':
      return [and >>> 0, (xor ^ c) >>> 0];
  }
}

/** The statement's optional fields for a source and a folded (and, xor): defaults left out. */
export function markOpFields(and: number, xor: number): Pick<SetMarkStmt, 'and' | 'xor'> {
  const out: Pick<SetMarkStmt, 'and' | 'xor'> = {};
  if (and >>> 0 !== ALL_BITS) out.and = and >>> 0;
  if (xor >>> 0 !== 0) out.xor = xor >>> 0;
  return out;
}

/**
 * The operations nft text and JSON write for (and, xor): `& and` when it clears bits, then
 * `| xor` when xor only sets bits the mask cleared (the usual `& X | Y`), else `^ xor`.
 */
export function markOpSteps(and: number, xor: number): ['&' | '|' | '^', number][] {
  const steps: ['&' | '|' | '^', number][] = [];
  and >>>= 0;
  xor >>>= 0;
  if (and === (~xor >>> 0) && xor !== 0) return [['|', xor]];
  if (xor !== 0 && (xor & and) === 0 && and !== ALL_BITS) {
    // (x & and) | xor == (x & and) ^ xor here; nft prints the & with the xor bits cleared.
    steps.push(['&', and], ['|', xor]);
    return steps;
  }
  if (and !== ALL_BITS) steps.push(['&', and]);
  if (xor !== 0) steps.push(['^', xor]);
  return steps;
}
