// unchanged(i, policy): would removing rule i change no verdict — does every packet i ends get
// i's verdict from the rules after it, or from the policy? See index.ts, Theory of Operation.

import { HIT_ALL, firedBase, nHitBase, nRules, actOf, arenaAt, hitCell, pieceBox, ruleOf, ruleWord } from './store';
import { contains } from './box';
import { DONE, NO_MEMORY, UNCHANGED, Walk, drain, reset, start, walkRule } from './walk';

/**
 * 1 if removing rule i changes no verdict: every packet it ends gets action code `policy` of the
 * chain's policy or its own action from the first later rule that matches it; 0 if not; -1
 * without memory.
 */
export function unchanged(w: Walk, i: i32, policy: u32): i32 {
  reset(w);
  w.self = i;
  w.selfAct = actOf(<u32>i);
  w.policyAct = policy;
  const n = load<u32>(ruleWord(nHitBase, i));
  if (load<u8>(firedBase + <usize>i) == 0 || (n & HIT_ALL) == 0) {
    const res = walkRule(w, i, UNCHANGED, 0, nRules, i, false, i);
    return res == NO_MEMORY ? -1 : res == DONE ? 1 : 0;
  }
  // takers(i) kept every packet i decides: only the later rules can decide those without it.
  for (let c: u32 = 0; c < (n & ~HIT_ALL); c++) {
    w.sp = 0;
    w.arenaTop = 0;
    if (!start(w, hitCell(i, c), i + 1, nRules, -1, false, i)) return -1;
    const res = drain(w, UNCHANGED, 0);
    if (res != DONE) return res == NO_MEMORY ? -1 : 0;
  }
  return 1;
}

/** A candidate of the unchanged walk that gives no packet of rule i another verdict. */
@inline export function harmless(w: Walk, p: u32): bool {
  const r = ruleOf(p);
  return <i32>r < w.self || actOf(r) == w.selfAct;
}

/** Some candidate before the first harmful one in the list contains the cell. */
export function harmlessPrefixContains(w: Walk, cell: usize, off: usize, len: u32): bool {
  for (let t: u32 = 0; t < len; t++) {
    const p = load<u32>(arenaAt(off + t));
    if (!harmless(w, p)) return false;
    if (contains(pieceBox(p), cell)) return true;
  }
  return false;
}
