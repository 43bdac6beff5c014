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

export function firstMatchSpaces(hs: HeaderSpace, spaces: readonly Space[]): FirstMatch {
  const reach: Space[] = [];
  let union = hs.keep(hs.none);
  for (const s of spaces) {
    const r = hs.diff(s, union);
    reach.push(r);
    if (hs.isEmpty(r)) continue;
    const next = hs.or(union, r);
    hs.release(union);
    union = next;
  }
  return { reach, union };
}
