// First-match reachability over a list of match spaces (a chain without jumps or field-changing
// statements): the headers that reach rule i and match it are its space minus the union of the
// spaces before it. The base of the shadowing and redundancy analyses.
//
// The union grows by the reachable part, not by the whole space (U ∪ s = U ∪ (s ∖ U)): the
// reachable part is usually a few nodes, so the OR walks only where it is not FALSE.

import type { HeaderSpace, Space } from './space.js';

export interface FirstMatch {
  /** reach[i]: the headers that match rule i and no rule before it (one handle each). */
  reach: Space[];
  /** The headers some rule matches. */
  union: Space;
}

/** Every rule's reachable space, all held (release them when done). */
export function firstMatchSpaces(hs: HeaderSpace, spaces: readonly Space[]): FirstMatch {
  const reach: Space[] = [];
  const union = forEachFirstMatch(hs, spaces, (_, r) => reach.push(hs.keep(r)));
  return { reach, union };
}

/**
 * Calls visit(i, reach) for each rule in order; the reach handle is released after the call
 * (keep it to hold it), so a long chain needs memory only for the union. Returns the union.
 */
export function forEachFirstMatch(hs: HeaderSpace, spaces: readonly Space[], visit: (i: number, reach: Space) => void): Space {
  let union = hs.keep(hs.none);
  for (const [i, s] of spaces.entries()) {
    const r = hs.diff(s, union);
    visit(i, r);
    if (!hs.isEmpty(r)) {
      const next = hs.or(union, r);
      hs.release(union);
      union = next;
    }
    hs.release(r);
  }
  return union;
}
