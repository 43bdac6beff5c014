// Which anomalies a rule has, decided once for both analyses (anomalies.ts: BDDs, and the
// geometric core for chains of boxes) from the facts each computes its own way, with one wording.
// In: a rule's facts (some asked lazily: they are costly and only some rules need them).
// Out: its findings' kinds, messages, related rules, and where each finding is shown.

import type { PathHook } from '../engine/plan.js';
import type { FindingKind, Ref, WitnessCheck } from './findings.js';

/** A rule (or a policy) that ends some packets of the rule in question. */
export type Taker = { ref: Ref; action: string };

/** What an analysis knows about one rule. */
export interface RuleFacts<T extends Taker> {
  /** Its verdict (with target), NAT type, or `continue` (anomalies.ts: actionOf). */
  action: string;
  /** Its matches cannot be read as one set (statements before matches, rewritten headers). */
  opaque?: boolean;
  /** Its matches hold for no packet at all. */
  empty: boolean;
  /** Some packet fires it. */
  fires: boolean;
  /** It never fires: who ends the packets it would match, in order (none: none reaches its chain). */
  takers(): T[];
  /** It fires with a verdict: removing it changes no verdict at the hook. */
  unchanged(): boolean;
  /**
   * It fires with a verdict: the earlier rules with another action that take some of its packets,
   * those that match only packets it matches too (inside) and the others (overlapping).
   */
  overlaps(): { inside: T[]; overlapping: T[] };
}

/** Where a finding's witness and words come from. */
export type Shown<T> =
  | { taker: T } // where that taker takes the rule's packets (check: it decides, the rule does not fire)
  | 'decides' // where the rule decides (check: nothing but the hook)
  | 'would-match' // where the rule would match (check: it does not fire)
  | undefined; // nowhere: no packet to show

export interface RuleAnomaly<T extends Taker> {
  kind: FindingKind;
  message: string;
  related: T[];
  shown: Shown<T>;
}

/** What evaluating a finding's witness must show about rule `id` (the hook is added by the caller). */
export function checkOf<T extends Taker>(shown: Shown<T>, id: number): WitnessCheck | undefined {
  if (shown === undefined) return undefined;
  if (shown === 'decides') return {};
  if (shown === 'would-match') return { not: id };
  return { by: shown.taker.ref, not: id };
}

/** The facts of a rule whose matches cannot be read as one set: only whether it fires is known. */
export function opaqueFacts<T extends Taker>(action: string, fires: boolean): RuleFacts<T> {
  const none = (): never => { throw new Error('not known for an opaque rule'); };
  return { action, opaque: true, empty: false, fires, takers: none, unchanged: none, overlaps: none };
}

const TERMINAL = new Set(['accept', 'drop', 'reject']);

/** The anomalies of one rule (Al-Shaer & Hamed's kinds, extended: see anomalies.ts). */
export function classifyRule<T extends Taker>(hook: PathHook, f: RuleFacts<T>): RuleAnomaly<T>[] {
  if (f.opaque) return f.fires ? [] : [{ kind: 'unreachable', message: `no packet fires it at ${hook}`, related: [], shown: undefined }];
  if (f.empty) return [{ kind: 'unreachable', message: TEXT.empty, related: [], shown: undefined }];
  if (!f.fires) {
    const t = f.takers();
    if (t.length === 0) {
      return [{ kind: 'unreachable', message: `no packet it would match reaches its chain at ${hook}`, related: [], shown: 'would-match' }];
    }
    const other = t.filter((x) => x.action !== f.action);
    if (other.length) return [{ kind: 'shadowed', message: TEXT.shadowed(t, other, f.action), related: t, shown: { taker: other[0]! } }];
    return [{ kind: 'redundant', message: TEXT.covered(t, f.action), related: t, shown: { taker: t[0]! } }];
  }
  if (!TERMINAL.has(f.action)) return [];
  const out: RuleAnomaly<T>[] = [];
  if (f.unchanged()) out.push({ kind: 'redundant', message: TEXT.unchanged(hook), related: [], shown: 'decides' });
  const { inside, overlapping } = f.overlaps();
  if (inside.length) out.push({ kind: 'generalization', message: TEXT.generalization(inside), related: inside, shown: { taker: inside[0]! } });
  if (overlapping.length) {
    out.push({ kind: 'correlated', message: TEXT.correlated(overlapping), related: overlapping, shown: { taker: overlapping[0]! } });
  }
  return out;
}

function names(list: readonly { ref: Ref }[]): string {
  const shown = list.slice(0, 4).map((x) => x.ref.label);
  return shown.join(', ') + (list.length > 4 ? ` and ${list.length - 4} more` : '');
}

const actions = (list: readonly Taker[]) => [...new Set(list.map((x) => x.action))].join(', ');

/** The findings' messages. */
const TEXT = {
  empty: 'its matches hold for no packet: it can never match',
  shadowed: (t: readonly Taker[], other: readonly Taker[], action: string) =>
    `never fires: every packet it would match is taken first by ${names(t)}` +
    ` — ${other.length === t.length ? '' : 'some '}with another action (${actions(other)} instead of ${action})`,
  covered: (t: readonly Taker[], action: string) => `never fires: earlier rules with the same action (${action}) take all its packets: ${names(t)}`,
  unchanged: (hook: PathHook) => `removing it changes no verdict at ${hook}: without it, every packet it decides gets the same verdict`,
  generalization: (g: readonly Taker[]) =>
    `generalizes ${names(g)}: it matches every packet ${g.length > 1 ? 'they match' : 'that rule matches'}, which ${g.length > 1 ? 'take' : 'takes'} them first with another action (${actions(g)})`,
  correlated: (p: readonly Taker[]) =>
    `overlaps ${names(p)}, which ${p.length > 1 ? 'take' : 'takes'} part of its packets first with another action (${actions(p)})`,
};
