// Symbolic evaluation of a ruleset over header spaces: the exact verdict partition of a path and,
// per rule, the packets that reach it, fire it and end their base chain with it. Used by the
// anomaly, isolation and diff analyses.
//
//   const a = symbolicAnalysis(ruleset, { localAddresses: ['10.0.0.1'] });
//   const r = a.evaluator.run();            // whole path; { hook: 'forward' } for one hook
//   r.outcomes  // [{ verdict, by, rule?, chain?, space }]   r.rules[id]  // { reach, hit, ends }

import type { Ruleset } from '../../model/ruleset.js';
import { expandMaps } from '../../model/expand-maps.js';
import { environmentNames, makeEnvironment, type EngineOptions, type Environment } from '../../engine/environment.js';
import { allRules, needsInterfaceNames } from '../../engine/fib.js';
import { planRuleset, type Plan } from '../../engine/plan.js';
import { headerSpaceFor, refuseUnanalysed } from '../headerspace/encode.js';
import type { HeaderSpace, Space } from '../headerspace/space.js';
import { SymbolicEvaluator, type Outcome } from './run.js';

export interface SymbolicAnalysis {
  hs: HeaderSpace;
  plan: Plan;
  env: Environment;
  evaluator: SymbolicEvaluator;
}

export interface AnalysisOptions extends EngineOptions {
  /** BDD node limit (default: HeaderSpace's). */
  maxNodes?: number;
  /** Interface names the analyses will mention besides the rulesets' (tenants' interfaces). */
  extraNames?: string[];
  /** Use this header space (several rulesets compared in one space). */
  hs?: HeaderSpace;
}

export function symbolicAnalysis(written: Ruleset, opts: AnalysisOptions = {}): SymbolicAnalysis {
  // Map and concatenation lookups as one rule per element (src/model/expand-maps.ts): what the
  // analyses walk, and where the header space finds the interface names map keys hold.
  const ruleset = expandMaps(written);
  refuseUnanalysed([ruleset]);
  const plan = planRuleset(ruleset);
  const env = makeEnvironment(opts);
  const hs = opts.hs ?? headerSpaceFor([ruleset], {
    maxNodes: opts.maxNodes,
    extraNames: [...(opts.extraNames ?? []), ...Object.keys(opts.interfaceAddresses ?? {}), ...(needsInterfaceNames(allRules(ruleset)) ? environmentNames(env) : [])],
  });
  return { hs, plan, env, evaluator: new SymbolicEvaluator(hs, plan, env) };
}

/** The union of the outcomes' spaces with a given verdict (a new handle). */
export function verdictSpace(hs: HeaderSpace, outcomes: readonly Outcome[], verdict: Outcome['verdict']): Space {
  return hs.union(outcomes.filter((o) => o.verdict === verdict).map((o) => o.space));
}

export { SymbolicEvaluator, type Outcome, type RuleSpaces, type SymbolicOptions, type SymbolicResult } from './run.js';
export type { SymState, Subst, Context } from './state.js';
