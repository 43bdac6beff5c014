// Bounding boxes of rules: per field, an interval holding every value the rule's leading `==`
// matches (unmasked) accept. Two rules whose boxes are disjoint on some field match disjoint sets
// (read under the same state), so first-match runs and the anomaly analysis skip such pairs
// without touching a BDD. One Float64Array for the whole plan, 2·BOX_SIZE numbers per rule.

import type { Plan } from '../../engine/plan.js';
import { valueIntervals } from '../../model/values.js';

const BOX_FIELDS: Partial<Record<string, number>> = {
  'ip saddr': 0, 'ip daddr': 1, 'meta l4proto': 2, 'ip protocol': 2, 'th sport': 3, 'th dport': 4, 'meta mark': 5, 'ct mark': 6, 'tcp flags': 7,
};
export const BOX_SIZE = 8;

/** [lo, hi] per BOX_FIELDS entry for every rule of the plan (all values fit 32 bits). */
export function ruleBoxes(plan: Plan): Float64Array {
  const b = new Float64Array(plan.rules.length * 2 * BOX_SIZE);
  plan.rules.forEach((r, id) => {
    const at = id * 2 * BOX_SIZE;
    for (let k = 0; k < BOX_SIZE; k++) b[at + 2 * k + 1] = 2 ** 32;
    for (const e of r.rule.exprs) {
      if (e.kind !== 'match') break; // only leading matches bound what the rule ends
      const k = BOX_FIELDS[e.field];
      if (k === undefined || e.op !== '==' || e.mask !== undefined) continue;
      const ivs = valueIntervals(e.field, e.value);
      if (typeof ivs === 'string' || ivs.length === 0) continue;
      b[at + 2 * k] = Math.max(b[at + 2 * k]!, Number(ivs[0]!.lo));
      b[at + 2 * k + 1] = Math.min(b[at + 2 * k + 1]!, Number(ivs[ivs.length - 1]!.hi));
    }
  });
  return b;
}

/** Whether the boxes of rules x and y are disjoint (then so are their matches). */
export function boxesApart(b: Float64Array, x: number, y: number): boolean {
  const i = x * 2 * BOX_SIZE;
  const j = y * 2 * BOX_SIZE;
  for (let k = 0; k < 2 * BOX_SIZE; k += 2) if (b[i + k + 1]! < b[j + k]! || b[j + k + 1]! < b[i + k]!) return true;
  return false;
}
