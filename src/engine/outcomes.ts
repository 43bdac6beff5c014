// Every outcome of a packet whose path meets stateful expressions (src/engine/state.ts): the
// evaluation is run once per way the draws can go, a depth-first walk over state words. The first
// run (word 0) says which draws the packet met; each next word changes the last draw that has a
// way left and takes the first way for every draw after it, so every combination the packet can
// meet is run once. A packet that meets no draw has one outcome.

import type { EvalResult } from './result.js';
import type { Draw } from './state.js';

/** One way the state can make the packet go: the draws it met, and the result. */
export interface Outcome<R = EvalResult> {
  draws: Draw[];
  result: R;
}

/** The result with every outcome (`outcomes`, `moreOutcomes`) when its verdict depends on state. */
export function withOutcomes(r: EvalResult, all: () => { outcomes: Outcome[]; more: boolean }): EvalResult {
  if (!r.draws) return r;
  const { outcomes, more } = all();
  return more ? { ...r, outcomes, moreOutcomes: true } : { ...r, outcomes };
}

/** More runs than this for one packet are not made: `more` says so. */
export const MAX_OUTCOMES = 256;

/**
 * Runs `run` with every state word the packet's draws can take. `run(word)` must report the draws
 * it met in `result.draws` (absent: none). A run may be several evaluations drawing from one word
 * in turn (flow.ts: a connection's packets).
 */
export function allOutcomes<R extends { draws?: Draw[] } = EvalResult>(run: (word: number) => R, max = MAX_OUTCOMES): { outcomes: Outcome<R>[]; more: boolean } {
  const outcomes: Outcome<R>[] = [];
  let word = 0;
  for (;;) {
    const result = run(word);
    const draws = result.draws ?? [];
    outcomes.push({ draws, result });
    const next = nextWord(draws);
    if (next === undefined) return { outcomes, more: false };
    if (next === 'beyond' || outcomes.length >= max) return { outcomes, more: true };
    word = next;
  }
}

/** The state word that makes the draws take the ways they took. */
export function stateWord(draws: readonly Draw[]): number {
  let word = 0;
  let radix = 1;
  for (const d of draws) {
    word += d.choice * radix;
    radix *= d.of;
  }
  return word;
}

/**
 * The word after the draws' combination; undefined when every draw took its last way, `beyond`
 * when the next one needs more than the executor's 32 bits of word.
 */
function nextWord(draws: readonly Draw[]): number | 'beyond' | undefined {
  for (let i = draws.length - 1; i >= 0; i--) {
    if (draws[i]!.choice + 1 >= draws[i]!.of) continue;
    const next = [...draws.slice(0, i), { ...draws[i]!, choice: draws[i]!.choice + 1 }];
    return next.reduce((radix, d) => radix * d.of, 1) <= 2 ** 32 ? stateWord(next) : 'beyond';
  }
  return undefined;
}
