// Test helpers for the analyses: small IR builders (one table, base chains, rules from compact
// specs) and the engine check every finding's witness must pass.
import { expect } from 'vitest';
import type { Chain, Expr, Match, MatchField, MatchValue, Rule, Ruleset, Verdict } from '../../src/model/ruleset.js';
import type { Finding } from '../../src/analyses/findings.js';
import { ReferenceEngine, compileRuleset } from '../../src/engine/index.js';
import type { EngineOptions } from '../../src/engine/environment.js';

export const m = (field: MatchField, value: MatchValue, op: Match['op'] = '=='): Match => ({ kind: 'match', field, op, value, origin: { field } });

let seq = 0;
export function rule(name: string, exprs: Expr[], verdict?: Verdict['kind'], target?: string): Rule {
  const origin = { rule: name };
  const r: Rule = { exprs, origin, comment: name, handle: ++seq };
  if (verdict === 'jump' || verdict === 'goto') r.verdict = { kind: verdict, target: target!, origin };
  else if (verdict) r.verdict = { kind: verdict, origin } as Verdict;
  return r;
}

export function chain(name: string, rules: Rule[], base?: Chain['base']): Chain {
  return { name, rules, base, origin: { chain: name } };
}

export function forwardRuleset(rules: Rule[], policy: 'accept' | 'drop' = 'accept', extra: Chain[] = []): Ruleset {
  return {
    tables: [{
      family: 'ip', name: 't', origin: { table: 'ip t' },
      chains: [chain('fwd', rules, { type: 'filter', hook: 'forward', priority: 0, policy }), ...extra],
    }],
  };
}

/** The rule ids that gave a verdict in a trace (or whose NAT ended the chain). */
export function verdictRules(trace: { kind: string; rule?: number }[]): Set<number> {
  return new Set(trace.flatMap((e) => (e.kind === 'verdict' && e.rule !== undefined ? [e.rule] : [])));
}

/** Evaluates a finding's witness with both engines and checks what the finding claims. */
export function checkWitness(ruleset: Ruleset, f: Finding, env: EngineOptions = {}): void {
  if (!f.witness || !f.check) return;
  const c = f.check;
  const ref = new ReferenceEngine(ruleset, env);
  const wasm = compileRuleset(ruleset, env);
  const r = ref.evaluate(f.witness, { trace: true, hook: c.hook });
  const w = wasm.evaluate(f.witness, { trace: true, hook: c.hook });
  expect(w.verdict).toBe(r.verdict);
  const fired = verdictRules(r.trace!);
  const what = `${f.kind} ${f.message} witness ${JSON.stringify(f.witness)}`;
  if (c.verdict) expect(r.verdict, what).toBe(c.verdict);
  if (c.not !== undefined) expect(fired.has(c.not), what).toBe(false);
  if (c.by?.rule !== undefined) expect(fired.has(c.by.rule), what).toBe(true);
  if (c.by?.policyOf !== undefined) {
    expect(r.trace!.some((e) => e.kind === 'policy' && e.chain === c.by!.policyOf), what).toBe(true);
  }
}
