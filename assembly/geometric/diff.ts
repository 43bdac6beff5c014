// diffRule: the cells of a rule's boxes that an old and a new chain (held as one: rules
// [0, split) and [split, n)) decide differently. Each cell the old chain decides is walked again
// under the new one, nested on the same frame stack.

import { cellBytes, diffBase, diffBytes, keyBase, maxDiff, nRules, ruleWord } from './store';
import { DIFF_AFTER, DIFF_BEFORE, DONE, NO_MEMORY, STOPPED, Walk, drain, start, walkRule } from './walk';

/**
 * Walks the boxes of rule r under the old chain, each cell it decides under the new one, and
 * appends at diffPtr the cells decided differently: cell, old decider, new decider (-1: policy).
 * Returns the number of cells so far (diffReset starts again); -1 without memory, -2 when more
 * than the setup's diffMax cells differ.
 */
export function diffRule(w: Walk, r: i32, split: i32, policyBefore: u32, policyAfter: u32): i32 {
  w.sp = 0;
  w.arenaTop = 0;
  w.splitAt = split;
  w.policyKeyBefore = policyBefore;
  w.policyKeyAfter = policyAfter;
  const res = walkRule(w, r, DIFF_BEFORE, 0, split, -1, false, r);
  if (res == NO_MEMORY) return -1;
  return w.diffFull ? -2 : w.nDiff;
}

export function diffReset(w: Walk): void {
  w.nDiff = 0;
  w.diffFull = false;
}

/**
 * A diff walk decided a cell: rule `r` (-1: the policy) takes it. Before: walk the cell against
 * the rules after the split. After: record the cell when its decider's key differs.
 */
export function decided(w: Walk, mode: i32, cell: usize, r: i32): i32 {
  if (mode == DIFF_BEFORE) {
    w.deciderBefore = r;
    const floor = w.sp;
    if (!start(w, cell, w.splitAt, nRules, -1, false, -1)) return NO_MEMORY;
    return drain(w, DIFF_AFTER, floor);
  }
  const a = w.deciderBefore < 0 ? w.policyKeyBefore : load<u32>(ruleWord(keyBase, w.deciderBefore));
  const b = r < 0 ? w.policyKeyAfter : load<u32>(ruleWord(keyBase, r));
  if (a == b) return DONE;
  if (w.nDiff == maxDiff) {
    w.diffFull = true;
    return STOPPED;
  }
  const at = diffBase + <usize>w.nDiff * diffBytes;
  memory.copy(at, cell, cellBytes);
  store<i32>(at + cellBytes, w.deciderBefore);
  store<i32>(at + cellBytes, r, 4);
  w.nDiff++;
  return DONE;
}
