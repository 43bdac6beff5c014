// cells(i, j): a few disjoint cells of the packets of rule i that rule j ends (j < i), or that i
// itself ends (j < 0) — the witnesses and words of a finding.

import { cellBytes, cellsBase, maxCells, scratchBase, firstOf, pieceBox } from './store';
import { intersect } from './box';
import { CELLS, NO_MEMORY, STOPPED, Walk, drain, reset, start, walkRule } from './walk';

/**
 * Up to maxCells disjoint cells of the packets of rule i that rule j ends (j < i), or with j < 0
 * that i itself ends; at cellsPtr. Returns their number (-1 without memory); `w.truncated` says
 * whether there are more.
 */
export function cells(w: Walk, i: i32, j: i32): i32 {
  reset(w);
  if (j < 0) return walkRule(w, i, CELLS, 0, i, -1, false, i) == NO_MEMORY ? -1 : w.nCells;
  const region = scratchBase + cellBytes; // free between walks
  for (let a = firstOf(i); a < firstOf(i + 1); a++) {
    for (let b = firstOf(j); b < firstOf(j + 1); b++) {
      if (!intersect(region, pieceBox(a), pieceBox(b))) continue;
      if (!start(w, region, 0, j, -1, false, i)) return -1;
      const res = drain(w, CELLS, 0);
      if (res == NO_MEMORY) return -1;
      if (res == STOPPED) return w.nCells;
    }
  }
  return w.nCells;
}

/** CELLS walk: keeps a free cell; false at the limit (the walk stops, truncated). */
export function keepCell(w: Walk, cell: usize): bool {
  if (w.nCells == maxCells) {
    w.truncated = true;
    return false;
  }
  memory.copy(cellsBase + <usize>w.nCells * cellBytes, cell, cellBytes);
  w.nCells++;
  return true;
}
