// Every outcome of a packet whose path meets stateful expressions (src/engine/state.ts): the
// evaluation is run once per way the draws can go, a depth-first walk over state words. The first
// run (word 0) says which draws the packet met; each next word changes the last draw that has a
// way left and takes the first way for every draw after it, so every combination the packet can
// meet is run once. A packet that meets no draw has one outcome.

import type { EvalResult } from './result.js';
import type { Draw, StateChoice } from './state.js';

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
 * Runs `run` with every state the packet's draws can take (a word, or the choices when they do not
 * fit one). `run(state)` must report the draws it met in `result.draws` (absent: none). A run may
 * be several evaluations drawing from one state in turn (flow.ts: a connection's packets).
 */
export function allOutcomes<R extends { draws?: Draw[] } = EvalResult>(run: (state: StateChoice) => R, max = MAX_OUTCOMES): { outcomes: Outcome<R>[]; more: boolean } {
  const outcomes: Outcome<R>[] = [];
  let state: StateChoice = 0;
  for (;;) {
    const result = run(state);
    const draws = result.draws ?? [];
    outcomes.push({ draws, result });
    const next = nextChoices(draws);
    if (next === undefined) return { outcomes, more: false };
    if (outcomes.length >= max) return { outcomes, more: true };
    state = next.reduce((radix, d) => radix * d.of, 1) <= 2 ** 32 ? stateWord(next) : next.map((d) => d.choice);
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
 * The draws that start the combination after these (later draws take their first way); undefined
 * when every draw took its last way. Given as a state word when it fits the executor's 32 bits,
 * else as the choices (the reference interpreter reads them).
 */
function nextChoices(draws: readonly Draw[]): Draw[] | undefined {
  for (let i = draws.length - 1; i >= 0; i--) {
    if (draws[i]!.choice + 1 < draws[i]!.of) return [...draws.slice(0, i), { ...draws[i]!, choice: draws[i]!.choice + 1 }];
  }
  return undefined;
}
