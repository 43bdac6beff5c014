// A base chain and the chains it jumps to, read as one list (for the anomalies, both paths): the
// rules in the order a packet meets them, each with the jump rules that lead to it. A packet
// meets `M jump T`, then T's rules if it matched M, then the rule after the jump (T decided
// nothing: it returns) — so on the list first match wins, with a rule's "would match" being its
// matches and those of its jumps, as if T were written in place of the jump. That holds when
// every chain of the tree is jumped to from one rule, by `jump`, and none returns early: a chain
// reached twice would need its rules twice, and `goto` and `return` change where a packet goes
// on. Other trees have no such list.

import type { Plan } from '../engine/plan.js';

/** A rule of the list: its plan id, and the ids of the jump rules that lead to it (outermost first). */
export interface TreeRule {
  id: number;
  via: number[];
}

/** The base chain's tree as a list (see above), or undefined when it is not such a tree. */
export function treeRules(plan: Plan, base: number): TreeRule[] | undefined {
  const out: TreeRule[] = [];
  const seen = new Set<number>([base]);
  const walk = (c: number, via: number[]): boolean => {
    const info = plan.chains[c]!;
    for (const [i, rule] of info.chain.rules.entries()) {
      const id = info.firstRule + i;
      const v = rule.verdict?.kind;
      if (v === 'goto' || v === 'return' || v === 'vmap') return false;
      out.push({ id, via });
      if (v !== 'jump') continue;
      const t = info.targets[i];
      if (t === undefined || seen.has(t)) return false;
      seen.add(t);
      if (!walk(t, [...via, id])) return false;
    }
    return true;
  };
  return walk(base, []) ? out : undefined;
}
