// A few builders that keep hand-written IR in tests short.
import type { BaseChain, Chain, Expr, Family, Match, Rule, Statement, Table, Verdict } from '../../src/model/ruleset.js';

const o = {};
export const m = (field: Match['field'], value: Match['value'], op: Match['op'] = '==', mask?: number): Match =>
  mask === undefined ? { kind: 'match', field, op, value, origin: o } : { kind: 'match', field, op, value, mask, origin: o };
export const v = (kind: 'accept' | 'drop' | 'reject' | 'continue' | 'return'): Verdict => ({ kind, origin: o });
export const jump = (target: string): Verdict => ({ kind: 'jump', target, origin: o });
export const goto = (target: string): Verdict => ({ kind: 'goto', target, origin: o });
export const counter: Statement = { kind: 'counter', origin: o };
export const notrack: Statement = { kind: 'notrack', origin: o };
export const setMark = (key: 'meta mark' | 'ct mark', value: number | 'meta mark' | 'ct mark'): Statement => ({ kind: 'set-mark', key, value, origin: o });
export const nat = (type: 'snat' | 'dnat' | 'masquerade', to?: Extract<Statement, { kind: 'nat' }>['to'], port?: number | { range: [number, number] }): Statement => {
  const s: Statement = { kind: 'nat', type, origin: o };
  if (to !== undefined) s.to = to;
  if (port !== undefined) s.port = port;
  return s;
};
export const rule = (exprs: Expr[], verdict?: Rule['verdict'], name?: string): Rule => {
  const r: Rule = { exprs, origin: name ? { rule: name } : {} };
  if (verdict) r.verdict = verdict;
  return r;
};
export const base = (name: string, b: Partial<BaseChain> & Pick<BaseChain, 'hook'>, rules: Rule[]): Chain => ({
  name, rules, origin: { chain: name }, base: { type: 'filter', priority: 0, policy: 'accept', ...b },
});
export const chain = (name: string, rules: Rule[]): Chain => ({ name, rules, origin: { chain: name } });
export const table = (family: Family, name: string, chains: Chain[]): Table => ({ family, name, chains, origin: { table: `${family} ${name}` } });
