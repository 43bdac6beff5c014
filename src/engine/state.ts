// Stateful expressions in the engine (model/ruleset.ts StateMatch, SetUpdateStmt): how many ways
// each can go, which ways let the rule go on, and the state word that picks one way at each draw.
// The reference interpreter and the WASM executor read the same word the same way, so that
// src/engine/outcomes.ts can walk every outcome of a packet by trying words.
//
// A draw takes `choice = word mod n`, then `word = floor(word / n)`: the word is the choices in the
// order the packet meets the expressions, in mixed radix. Word 0 is the first way everywhere: the
// numgen's first number, a limit or quota that holds, a dynamic set that holds the key, an update
// that goes on. An expression with one way (numgen mod 1, a set delete) draws nothing.

import { drawsNumber, stateKey, type MatchField, type MatchValue, type SetUpdateStmt, type StateMatch } from '../model/ruleset.js';
import { numberText, statefulText } from '../model/state-text.js';
import { valueItems } from '../model/values.js';

export type StatefulExpr = StateMatch | SetUpdateStmt;

/** A choice a stateful expression made while the packet went through: way `choice` of `of`. */
export interface Draw {
  rule: number;
  expr: number;
  choice: number;
  of: number;
}

/** The packet fields the expression reads (they must be there, as a lookup's key): a set's key, what jhash hashes. */
export const fieldsRead = (x: StatefulExpr): MatchField[] => (x.kind === 'set-update' ? x.key : stateKey(x.source));

/**
 * How many ways the expression can go. `ct count 0` has one: the count includes the packet's own
 * connection (nft_connlimit_do_eval adds it first), so it is never 0 — `over 0` always holds.
 */
export function waysOf(x: StatefulExpr): number {
  if (x.kind === 'set-update') return x.op === 'delete' ? 1 : 2;
  if (x.source.what === 'ct count' && x.source.count === 0) return 1;
  return drawsNumber(x.source) ? x.source.mod : 2;
}

/** The number numgen, jhash or symhash gives on way `choice` (u32 arithmetic, as nft_ng_*_eval and nft_*hash_eval). */
export function numberValue(x: StateMatch, choice: number): number {
  return drawsNumber(x.source) ? (x.source.offset + choice) >>> 0 : choice;
}

/** Whether the rule goes on after the expression took way `choice`. */
export function goesOn(x: StatefulExpr, choice: number): boolean {
  if (x.kind === 'state' && x.source.what === 'ct count' && x.source.count === 0) return x.source.over;
  if (x.kind === 'set-update' || !drawsNumber(x.source)) return choice === 0;
  const v = numberValue(x, choice);
  const inside = numberIntervals(x.value!).some(([lo, hi]) => lo <= v && v <= hi);
  return inside === (x.op === '==');
}

/** A numgen or hash match's value as inclusive intervals (plan.ts checked it holds numbers only). */
export function numberIntervals(value: MatchValue): [number, number][] {
  return valueItems(value).map((it) => (typeof it === 'object' && 'range' in it ? [Number(it.range[0]), Number(it.range[1])] : [Number(it), Number(it)]));
}

/** What a draw means, for people: `numgen random mod 2 = 1`, `limit rate 10/second: does not hold`. */
export function describeWay(x: StatefulExpr, choice: number): string {
  if (x.kind === 'set-update') return choice === 0 ? `${x.op} @${x.set}: done` : `${x.op} @${x.set}: ${x.stateful ? `the element's ${x.stateful.what} does not hold, or ` : ''}the set is full — the rule ends`;
  const s = x.source;
  if (drawsNumber(s)) return `${numberText(s)} = ${numberValue(x, choice)}`;
  if (s.what === 'set') return `${s.key.join(' . ')} ${(choice === 0) === (s.op === '==') ? 'in' : 'not in'} @${s.set} (dynamic)`;
  return `${statefulText(s, s.over)}: ${choice === 0 ? 'holds' : 'does not hold'}`;
}

/**
 * The ways the draws take: a state word (what the WASM executor reads, 32 bits), or the choices in
 * order when they do not fit one (outcomes.ts; the reference interpreter reads either). Draws past
 * the given choices take their first way.
 */
export type StateChoice = number | readonly number[];

/** The state read one draw at a time; `again` reads the last draw (model/expand-maps.ts). */
export class StateWord {
  private last = 0;
  private word = 0;
  private next = 0;
  private readonly choices: readonly number[] | undefined;

  constructor(state: StateChoice) {
    if (typeof state === 'number') this.word = state;
    else this.choices = state;
  }

  draw(ways: number, again: boolean): number {
    if (again) return this.last;
    if (ways <= 1) return (this.last = 0);
    if (this.choices) return (this.last = this.choices[this.next++] ?? 0);
    const c = this.word % ways;
    this.word = Math.floor(this.word / ways);
    return (this.last = c);
  }
}
