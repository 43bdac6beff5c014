// A guard before the yaml library: its composer recurses once per level of nesting, so 100k
// nested `[` overflow the stack and, worse, take it tens of seconds to recover from. One linear
// pass over the lines bounds the nesting from above — block levels by indentation, compact
// `- - x` entries, and flow brackets `[` `{` (brackets inside quoted strings count too: an
// over-estimate, never an under-estimate for well-formed text) — and says where it first passes
// the limit.

import type { Pos } from './parse.js';

/** Where the nesting of the YAML text first goes deeper than `limit`, or undefined. */
export function yamlTooDeep(text: string, limit: number): Pos | undefined {
  const indents: number[] = [];
  let flow = 0;
  let line = 0;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    let i = start;
    while (text.charCodeAt(i) === 32) i++;
    const c = text[i];
    if (i - start === 0 && (text.startsWith('---', i) || text.startsWith('...', i))) {
      indents.length = 0;
      flow = 0;
    } else if (i < end && c !== '#' && c !== '\r') {
      if (flow === 0) {
        while (indents.length > 0 && indents[indents.length - 1]! >= i - start) indents.pop();
        indents.push(i - start);
        // Compact block entries on one line: `- - - x`, `? - x`.
        while ((text[i] === '-' || text[i] === '?') && (text[i + 1] === ' ' || i + 1 === end)) {
          indents.push(i - start + 1);
          i += 2;
          while (text.charCodeAt(i) === 32) i++;
          if (indents.length > limit) return { line, column: i - start + 1 };
        }
        if (indents.length > limit) return { line, column: i - start + 1 };
      }
      for (let k = i; k < end; k++) {
        const ch = text.charCodeAt(k);
        if (ch === 91 || ch === 123) {
          if (indents.length + ++flow > limit) return { line, column: k - start + 1 };
        } else if (ch === 93 || ch === 125) flow = Math.max(0, flow - 1);
        else if (ch === 35 && (k === start || text.charCodeAt(k - 1) === 32)) break; // a comment
      }
    }
    start = end + 1;
  }
  return undefined;
}
