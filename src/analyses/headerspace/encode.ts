// The symbolic reading of IR matches: each Match of src/model/ruleset.ts becomes the set of
// headers it accepts, exactly as the kernel compares (values.ts semantics) and with the
// dependencies nft adds (`ip …` → IPv4, `ip6 …` → IPv6, `tcp flags` → TCP, `ct mark` → a
// conntrack entry). A value is a list of intervals, each an O(bits) range diagram; `!=` is the
// complement inside the dependency, never of it.

import { NftlensError } from '../../model/diagnostics.js';
import type { ConcatMatch, Expr, Match, MatchField, Rule, Ruleset } from '../../model/ruleset.js';
import { CT_STATE, FIELDS, PKTTYPE, valueIntervals, valueItems, type Interval } from '../../model/values.js';
import { CT_STATES, FAMILY_CODE, PKT_TYPES, type FieldName } from './layout.js';
import { HeaderSpace, type HeaderSpaceOptions, type Space } from './space.js';

/** The headers a match accepts. Bad values are NftlensError MODEL_INVALID at the match. */
export function matchSpace(hs: HeaderSpace, m: Match): Space {
  const info = FIELDS[m.field];
  if (m.mask !== undefined && (info.kind !== 'uint' || !Number.isInteger(m.mask) || m.mask < 0 || m.mask >= 2 ** info.bits)) {
    throw NftlensError.of('MODEL_INVALID', `mask ${m.mask} does not fit ${m.field}`, m.origin);
  }
  try {
    const inside = predicate(hs, m);
    const dep = dependency(hs, m);
    const out = m.op === '==' ? hs.and(dep, inside) : hs.diff(dep, inside);
    hs.release(dep, inside);
    return out;
  } catch (e) {
    throw located(e, m);
  }
}

/** The headers a run of matches accepts (their intersection; `all` for none). */
export function matchesSpace(hs: HeaderSpace, matches: readonly Match[]): Space {
  let acc = hs.keep(hs.all);
  for (const m of matches) {
    const s = matchSpace(hs, m);
    let next: Space;
    try {
      next = hs.and(acc, s);
    } catch (e) {
      throw located(e, m);
    }
    hs.release(acc, s);
    acc = next;
    if (acc === hs.none) break;
  }
  return acc;
}

export interface RuleMatchSpace {
  /** The headers that pass the rule's matches up to `end`. */
  space: Space;
  /** Index in rule.exprs of the first statement that changes a field (or exprs.length). */
  end: number;
  /** No match comes after `end`: `space` is exactly the headers the rule's matches accept. */
  complete: boolean;
}

/**
 * The match space of a rule up to the first statement that changes what later matches read
 * (`meta mark set`, `ct mark set`, `notrack`; a NAT statement ends the rule). Statements that
 * change no field (counter, log, mss clamp) are stepped over. Matches after `end` are for the
 * analyses that follow the packet through the statement.
 */
export function ruleMatchSpace(hs: HeaderSpace, rule: Rule): RuleMatchSpace {
  const end = rule.exprs.findIndex(changesFields);
  const stop = end < 0 ? rule.exprs.length : end;
  const matches = rule.exprs.slice(0, stop).filter((e): e is Match => e.kind === 'match');
  const space = matchesSpace(hs, matches);
  return { space, end: stop, complete: !rule.exprs.slice(stop).some(mayEndRule) };
}

/** An expression after which the rule may still end: a match, a route lookup, a stateful expression. */
function mayEndRule(e: Expr): boolean {
  return e.kind === 'match' || e.kind === 'fib' || e.kind === 'state' || (e.kind === 'set-update' && e.op !== 'delete');
}

function changesFields(e: Expr): boolean {
  switch (e.kind) {
    case 'concat':
      throw unanalysed(e);
    case 'match':
    case 'counter':
    case 'log':
    case 'mss-clamp':
      return false;
    case 'set-mark':
    case 'notrack':
    case 'nat':
    case 'fib': // not a header field of the space: the rule's match ends before it
    case 'state': // state, not a header field: it may hold or not
    case 'set-update':
    case 'ct helper': // lowered before the analyses (model/expand-maps.ts)
      return true;
  }
}

/**
 * A concatenation left after expansion (negated, or after a statement that changes the packet;
 * the others become one rule per element), or a `ct status` match read without the state of the
 * walk (the status is not a header field: symbolic/state.ts reads it): the analyses do not encode
 * them, so they are refused, located, rather than a wrong answer.
 */
export function unanalysed(e: ConcatMatch | Match): NftlensError {
  const what = e.kind === 'match' ? e.field
    : e.op === '!=' ? `negated concatenation ${e.fields.join(' . ')} != {…}` : `concatenation ${e.fields.join(' . ')} after a statement that changes the packet`;
  return NftlensError.of('NFT_UNSUPPORTED', `unsupported: ${what} in the analyses — nftlens evaluates it (eval, probe) but does not analyse it yet`, e.origin);
}

/** Throws unanalysed() for the first concatenation of the rulesets (every analysis starts here). */
export function refuseUnanalysed(rulesets: readonly Ruleset[]): void {
  for (const rs of rulesets) {
    for (const t of rs.tables) {
      for (const c of t.chains) {
        for (const r of c.rules) for (const e of r.exprs) if (e.kind === 'concat') throw unanalysed(e);
      }
    }
  }
}

// ─── one match ───────────────────────────────────────────────────────────────────────────────

/** What nft requires before it reads the field, as a set inside `all`. */
function dependency(hs: HeaderSpace, m: Match): Space {
  switch (m.field) {
    case 'ip saddr':
    case 'ip daddr':
    case 'ip protocol':
      return hs.ofFamily(4);
    case 'ip6 saddr':
    case 'ip6 daddr':
      return hs.ofFamily(6);
    case 'tcp flags':
      return hs.tcpHeaders();
    case 'ct mark':
    case 'ct status':
      return hs.withConntrack();
    case 'meta pkttype':
    case 'meta l4proto':
    case 'meta nfproto':
    case 'th sport':
    case 'th dport':
    case 'meta iifname':
    case 'meta oifname':
    case 'ct state':
    case 'meta mark':
      return hs.keep(hs.all);
  }
}

/** The layout field each plain numeric match field reads. */
const NUMERIC = {
  'ip6 saddr': 'saddr', 'ip6 daddr': 'daddr', 'ip protocol': 'l4proto', 'meta l4proto': 'l4proto',
  'th sport': 'sport', 'th dport': 'dport', 'meta mark': 'mark', 'ct mark': 'ctmark', 'tcp flags': 'tcpflags',
} as const satisfies Partial<Record<MatchField, FieldName>>;

/** The headers whose field value (masked) is in the match's value: raw, no dependency. */
function predicate(hs: HeaderSpace, m: Match): Space {
  const L = hs.layout;
  switch (m.field) {
    case 'ip saddr':
    case 'ip daddr':
      return ranges(hs, L.v4(m.field === 'ip saddr' ? 'saddr' : 'daddr'), intervals(m), m.mask);
    case 'ip6 saddr':
    case 'ip6 daddr':
    case 'ip protocol':
    case 'meta l4proto':
    case 'th sport':
    case 'th dport':
    case 'meta mark':
    case 'ct mark':
    case 'tcp flags':
      return ranges(hs, L.field(NUMERIC[m.field]), intervals(m), m.mask);
    case 'ct status':
      throw unanalysed(m);
    case 'meta pkttype': {
      const ivs = intervals(m);
      return hs.codes('pkttype', PKT_TYPES.flatMap((t, code) => (inAny(ivs, BigInt(PKTTYPE[t]!)) ? [code] : [])));
    }
    case 'meta nfproto': {
      const ivs = intervals(m);
      const codes = ([4, 6] as const).filter((f) => inAny(ivs, BigInt(f === 4 ? 2 : 10))).map((f) => FAMILY_CODE[f]);
      return hs.codes('nfproto', codes);
    }
    case 'ct state': {
      const ivs = intervals(m);
      const codes = CT_STATES.flatMap((s, code) => (inAny(ivs, BigInt(CT_STATE[s]!)) ? [code] : []));
      return hs.codes('ctstate', codes);
    }
    case 'meta iifname':
    case 'meta oifname': {
      const ids = new Set<number>();
      for (const item of valueItems(m.value)) {
        if (typeof item !== 'string' || item === '') {
          throw NftlensError.of('MODEL_INVALID', `${m.field} takes non-empty interface names`, m.origin);
        }
        const pattern = item;
        if (!hs.ifnames.knows(pattern)) {
          throw NftlensError.of('MODEL_INVALID', `interface pattern "${pattern}" was not given to the header space`, m.origin);
        }
        for (const id of hs.ifnames.matching(pattern)) ids.add(id);
      }
      return hs.codes(m.field === 'meta iifname' ? 'iifname' : 'oifname', [...ids]);
    }
  }
}

function intervals(m: Match): Interval[] {
  const r = valueIntervals(m.field, m.value);
  if (typeof r === 'string') throw NftlensError.of('MODEL_INVALID', `${m.field}: ${r}`, m.origin);
  return r;
}

function inAny(ivs: Interval[], x: bigint): boolean {
  return ivs.some((iv) => iv.lo <= x && x <= iv.hi);
}

function ranges(hs: HeaderSpace, vars: { first: number; width: number }, ivs: Interval[], mask?: number): Space {
  const m = mask === undefined ? undefined : BigInt(mask);
  const parts = ivs.map((iv) => hs.range(vars, iv.lo, iv.hi, m));
  const u = hs.union(parts);
  hs.release(...parts);
  return u;
}

function located(e: unknown, m: Match): unknown {
  if (e instanceof NftlensError && e.code === 'ANALYSIS_LIMIT' && Object.keys(e.diagnostics[0]!.origin).length === 0) {
    return NftlensError.of('ANALYSIS_LIMIT', e.diagnostics[0]!.message, m.origin);
  }
  return e;
}

// ─── a header space for rulesets ─────────────────────────────────────────────────────────────

/** Every interface name and pattern the rulesets' matches mention. */
export function ifnamePatterns(...rulesets: Ruleset[]): string[] {
  const out = new Set<string>();
  for (const rs of rulesets) {
    for (const t of rs.tables) {
      for (const c of t.chains) {
        for (const r of c.rules) {
          for (const e of r.exprs) {
            if (e.kind !== 'match' || (e.field !== 'meta iifname' && e.field !== 'meta oifname')) continue;
            for (const item of valueItems(e.value)) if (typeof item === 'string') out.add(item);
          }
        }
      }
    }
  }
  return [...out];
}

/** A header space whose interface alphabet covers the rulesets (and `extraNames`). */
export function headerSpaceFor(rulesets: Ruleset[], opts: Omit<HeaderSpaceOptions, 'ifnames'> & { extraNames?: string[] } = {}): HeaderSpace {
  refuseUnanalysed(rulesets);
  const { extraNames = [], ...rest } = opts;
  return new HeaderSpace({ ...rest, ifnames: [...ifnamePatterns(...rulesets), ...extraNames] });
}
