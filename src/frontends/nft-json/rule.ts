// One nft JSON rule → an IR rule: its expressions in order (matches via match.ts, statements and
// the final verdict via statement.ts), plus the dependency matches nft adds and hides.

import type { Origin } from '../../model/origin.js';
import type { Expr, Family, Match, Rule, Verdict } from '../../model/ruleset.js';
import { FIELDS } from '../../model/values.js';
import type { PendingRule } from './listing.js';
import { readMatch } from './match.js';
import { describe, Fields, isObject, soleKey, type Json, type Scope } from './reader.js';
import { readStatement } from './statement.js';

export function readRule(s: Scope, p: PendingRule, family: Family, position: number): Rule | undefined {
  const f = new Fields(s.r, p.body, p.origin);
  const handle = f.integer('handle', false);
  const comment = f.string('comment', false);
  const origin: Origin = { ...p.origin, rule: handle !== undefined ? `handle ${handle}` : `#${position + 1}` };
  const list = f.raw('expr');
  if (!Array.isArray(list)) {
    s.r.schema(`"expr" must be an array, got ${describe(list)}`, { ...origin, field: `${p.origin.field}.expr` });
    return undefined;
  }
  const exprs: Expr[] = [];
  let verdict: Rule['verdict'];
  let ok = true;
  list.forEach((e: Json, j) => {
    const o: Origin = { ...origin, field: `${p.origin.field}.expr[${j}]` };
    if (verdict) {
      ok = false;
      s.r.schema('a verdict must be the last expression of a rule', o);
      return;
    }
    if (typeof e === 'string') {
      ok = false;
      const binding = /^(jump|goto)\s*\{/.test(e.trim());
      s.r.unsupported(binding ? 'chain binding (bare string in JSON)' : 'statement printed as text', o, 'error', e.split('\n')[0]!.trim());
      return;
    }
    const key = soleKey(e);
    if (key === undefined || !isObject(e)) {
      ok = false;
      s.r.schema(`an expression is an object with one key, got ${describe(e)}`, o);
      return;
    }
    if (key === 'match') {
      const ms = readMatch(s, e.match!, o);
      if (ms) exprs.push(...ms);
      else ok = false;
      return;
    }
    const read = readStatement(s, key, e[key]!, o);
    if (read?.pre) exprs.push(...read.pre);
    if (!read) ok = false;
    else if ('verdict' in read) verdict = read.verdict;
    else exprs.push(read.stmt);
  });
  if (!ok) return undefined;
  addHiddenDependencies(exprs, verdict?.kind === 'vmap' ? undefined : verdict, family);
  const rule: Rule = { exprs, origin };
  if (verdict) rule.verdict = verdict;
  if (handle !== undefined) rule.handle = handle;
  if (comment !== undefined) rule.comment = comment;
  return rule;
}

/**
 * nft adds a dependency match for some verdicts and hides it when listing: `reject with tcp reset`
 * only applies to TCP (`meta l4proto tcp`, first in the rule), and in an inet table `reject with
 * icmp|icmpv6` only to its family (`meta nfproto`). The IR states them, so the rule means what the
 * kernel runs. Nothing is added when the rule already has the match.
 */
function addHiddenDependencies(exprs: Expr[], verdict: Verdict | undefined, family: Family): void {
  if (verdict?.kind !== 'reject' || !verdict.with) return;
  const has = (pred: (m: Match) => boolean): boolean => exprs.some((e) => e.kind === 'match' && e.op === '==' && pred(e));
  const origin = verdict.origin;
  if (verdict.with.type === 'tcp reset') {
    const tcp = has((m) => ((m.field === 'meta l4proto' || m.field === 'ip protocol') && m.value === 6) || m.field === 'tcp flags');
    if (!tcp) exprs.unshift({ kind: 'match', field: 'meta l4proto', op: '==', value: 6, origin });
  } else if (family === 'inet' && (verdict.with.type === 'icmp' || verdict.with.type === 'icmpv6')) {
    const want = verdict.with.type === 'icmp' ? 'ipv4' : 'ipv6';
    const known = has((m) => (m.field === 'meta nfproto' && m.value === want) || FIELDS[m.field].nfproto === want);
    if (!known) exprs.unshift({ kind: 'match', field: 'meta nfproto', op: '==', value: want, origin });
  }
}
