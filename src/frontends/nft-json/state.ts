// nft JSON stateful expressions → IR StateMatch and SetUpdateStmt (src/model/ruleset.ts): `numgen`,
// `jhash` and `symhash` on a match's left side (maps.ts reads them as a map key), `limit`, `quota` and `ct count` as rule
// expressions, lookups in a dynamic set (`ip saddr @affinity`, `ip saddr . th dport != @seen`),
// and the set statement (`update @s { ip saddr timeout 60s }`, `add @m { ip saddr limit rate over
// 10/second }`). What nft 1.0.6 lists and is not modelled (meters, a counter or several statements
// on a set element, numgen or an interface index as a set element's key) is refused, located.

import type { Origin } from '../../model/origin.js';
import type { Item, LimitSource, Match, MatchField, MatchValue, NamedSet, NumberSource, NumgenSource, QuotaSource, CtCountSource, SetType, SetUpdateStmt, StateMatch } from '../../model/ruleset.js';
import { setTypeFits } from '../../model/values.js';
import type { PendingRule } from './listing.js';
import { readKey } from './maps.js';
import { describe, Fields, isObject, soleKey, type Json, type JsonObject, type Scope } from './reader.js';
import { isNamedRef, namedRef } from './value.js';

const at = (o: Origin, suffix: string): Origin => ({ ...o, field: `${o.field ?? ''}${suffix}` });

const U32 = 0xffffffff;
const BYTE_UNITS = ['bytes', 'kbytes', 'mbytes'] as const;
const PER = ['second', 'minute', 'hour', 'day', 'week'] as const;

/** The rule expressions that are a stateful test of their own: `limit`, `quota`, `ct count`. */
export const STATEFUL = ['limit', 'quota', 'ct count'] as const;
export type StatefulKey = (typeof STATEFUL)[number];
export const isStateful = (key: string): key is StatefulKey => (STATEFUL as readonly string[]).includes(key);

// ─── numgen ──────────────────────────────────────────────────────────────────────────────────────

/**
 * The "mod" (1 … 2^32−1) and "offset" (0 … 2^32−1, default 0) numgen and the hashes share, as
 * read (undefined: missing, reported); null after reporting one out of range.
 */
function modOffset(s: Scope, f: Fields): { mod?: number; offset?: number } | null {
  const mod = f.integer('mod');
  const offset = f.has('offset') ? f.integer('offset') : 0;
  if (mod !== undefined && (mod < 1 || mod > U32)) return s.r.schema(`"mod" must be in 1..${U32}, got ${mod}`, f.at('mod')) ?? null;
  if (offset !== undefined && (offset < 0 || offset > U32)) return s.r.schema(`"offset" must be in 0..${U32}, got ${offset}`, f.at('offset')) ?? null;
  return { mod, offset };
}

/** `{"mode": "inc"|"random", "mod": N, "offset": O}` (at `o`, the `.numgen` field). */
function readNumgen(s: Scope, body: Json, o: Origin): NumgenSource | undefined {
  if (!isObject(body)) return s.r.schema(`"numgen" must be an object, got ${describe(body)}`, o);
  const f = new Fields(s.r, body, o);
  const mode = f.oneOf('mode', ['inc', 'random'] as const);
  const mo = modOffset(s, f);
  if (!mode || mo?.mod === undefined || mo.offset === undefined) return undefined;
  return { what: 'numgen', mode, mod: mo.mod, offset: mo.offset };
}

/** The expressions that draw a number. */
const NUMBER_SOURCES = ['numgen', 'jhash', 'symhash'] as const;
export const isNumberSource = (key: string | undefined): key is (typeof NUMBER_SOURCES)[number] => (NUMBER_SOURCES as readonly (string | undefined)[]).includes(key);

/**
 * `{"numgen": …}`, `{"jhash": {"mod": N, "seed": S, "offset": O, "expr": KEY}}`, `{"symhash": {"mod": N, "offset": O}}`
 * (at `o`) → the source, and the matches the fields jhash hashes imply (`tcp dport`: l4proto tcp,
 * as nft puts them before the hash); `ro` is the rule expression's origin.
 */
export function readNumberSource(s: Scope, expr: JsonObject, o: Origin, ro: Origin): { source: NumberSource; pre: Match[] } | undefined {
  const what = soleKey(expr);
  if (what === 'numgen') {
    const source = readNumgen(s, expr.numgen!, at(o, '.numgen'));
    return source && { source, pre: [] };
  }
  if (what !== 'jhash' && what !== 'symhash') return undefined;
  const ho = at(o, `.${what}`);
  const body = expr[what]!;
  if (!isObject(body)) return s.r.schema(`"${what}" must be an object, got ${describe(body)}`, ho);
  const f = new Fields(s.r, body, ho);
  const other = Object.keys(body).find((k) => !['mod', 'offset', ...(what === 'jhash' ? ['seed', 'expr'] : [])].includes(k));
  if (other !== undefined) return s.r.unsupported(`${what} option "${other}"`, f.at(other));
  const mo = modOffset(s, f);
  const seed = f.has('seed') ? f.integer('seed') : undefined;
  if (mo === null) return undefined;
  if (seed !== undefined && (seed < 0 || seed > U32)) return s.r.schema(`"seed" must be in 0..${U32}, got ${seed}`, f.at('seed'));
  const { mod, offset } = mo;
  if (mod === undefined || offset === undefined) return undefined;
  if (what === 'symhash') return { source: { what, mod, offset }, pre: [] };
  if (!f.has('expr')) return s.r.schema('"jhash" needs "expr", the fields it hashes', ho);
  const key = readKey(s, body.expr!, ro, f.at('expr'));
  if (!key) return undefined;
  if (key.state || key.ifindex) return s.r.unsupported(`jhash of ${key.state ? key.state.what : 'an interface index'}`, f.at('expr'));
  const source: NumberSource = { what, key: key.fields, mod, offset };
  if (seed !== undefined) source.seed = seed;
  return { source, pre: key.pre };
}

const isU32 = (v: Json): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= U32;

/** A number numgen or a hash draws is compared with (a map key, a match value): a 32-bit number or a range of them. */
export function readNumgenItem(s: Scope, v: Json, o: Origin): Item | undefined {
  if (isU32(v)) return v;
  if (isObject(v) && soleKey(v) === 'range' && Array.isArray(v.range) && v.range.length === 2) {
    const [lo, hi] = v.range;
    if (isU32(lo!) && isU32(hi!)) return { range: [lo, hi] };
  }
  return s.r.schema(`numgen, jhash and symhash are compared with 32-bit numbers and ranges of them, got ${describe(v)}`, o);
}

/** `numgen inc mod 2 0`, `jhash ip saddr mod 4 != 1`, `symhash mod 4 { 0, 2 }`, `1-2`: which numbers the match holds for. */
export function readNumberMatch(s: Scope, op: string, left: JsonObject, right: Json, o: Origin, lo: Origin, ro: Origin): (Match | StateMatch)[] | undefined {
  const read = readNumberSource(s, left, lo, o);
  const value = readNumgenValue(s, right, ro);
  if (!read || value === undefined) return undefined;
  if (op !== '==' && op !== '!=' && op !== 'in') return s.r.unsupported(`${op} on ${read.source.what}`, o);
  return [...read.pre, { kind: 'state', source: read.source, op: op === '!=' ? '!=' : '==', value, origin: o }];
}

function readNumgenValue(s: Scope, v: Json, o: Origin): MatchValue | undefined {
  if (namedRef(s, v, o)) return undefined;
  if (!(isObject(v) && soleKey(v) === 'set')) return readNumgenItem(s, v, o);
  if (!Array.isArray(v.set)) return s.r.schema('"set" must be an array', at(o, '.set'));
  const items = v.set.map((x, i) => readNumgenItem(s, x, at(o, `.set[${i}]`)));
  return items.every((x) => x !== undefined) ? { set: items as Item[] } : undefined;
}

// ─── limit, quota, ct count ──────────────────────────────────────────────────────────────────────

/** A `limit`, `quota` or `ct count` object (at `o`, its own field) → its source; undefined after reporting why not. */
export function readStateful(s: Scope, key: StatefulKey, body: JsonObject, o: Origin): LimitSource | QuotaSource | CtCountSource | undefined {
  const f = new Fields(s.r, body, o);
  const allowed = { limit: ['rate', 'per', 'rate_unit', 'burst', 'burst_unit', 'inv'], quota: ['val', 'val_unit', 'used', 'used_unit', 'inv'], 'ct count': ['val', 'inv'] }[key];
  const other = Object.keys(body).find((k) => !allowed.includes(k));
  if (other !== undefined) return s.r.unsupported(`${key} option "${other}"`, f.at(other));
  const errors = s.r.errors.length;
  const over = f.boolean('inv') ?? false;
  const source = key === 'limit' ? readLimit(s, f, over) : key === 'quota' ? readQuota(s, f, over) : readCtCount(s, f, over);
  return s.r.errors.length > errors ? undefined : source;
}

/** A non-negative integer field. */
function count(s: Scope, f: Fields, key: string, required = true): number | undefined {
  const n = f.integer(key, required);
  return n !== undefined && n < 0 ? s.r.schema(`"${key}" must not be negative, got ${n}`, f.at(key)) : n;
}

/** `{"rate": 10, "per": "second", "burst": 5, "inv": true}`; byte rates with `rate_unit`/`burst_unit`. */
function readLimit(s: Scope, f: Fields, over: boolean): LimitSource | undefined {
  const rate = count(s, f, 'rate');
  const per = f.oneOf('per', PER);
  const rateUnit = f.oneOf('rate_unit', ['packets', ...BYTE_UNITS] as const, false) ?? 'packets';
  const burst = count(s, f, 'burst', false);
  const burstUnit = f.oneOf('burst_unit', ['packets', ...BYTE_UNITS] as const, false);
  if (rate === undefined || per === undefined) return undefined;
  const l: LimitSource = { what: 'limit', rate, rateUnit, per, over };
  if (burst !== undefined) l.burst = burst;
  if (burstUnit !== undefined) l.burstUnit = burstUnit;
  return l;
}

/** `{"val": 25, "val_unit": "mbytes", "used": 10, "used_unit": "kbytes", "inv": true}`. */
function readQuota(s: Scope, f: Fields, over: boolean): QuotaSource | undefined {
  const val = count(s, f, 'val');
  const valUnit = f.oneOf('val_unit', BYTE_UNITS, false) ?? 'bytes';
  const used = count(s, f, 'used', false);
  const usedUnit = f.oneOf('used_unit', BYTE_UNITS, false);
  if (val === undefined) return undefined;
  const q: QuotaSource = { what: 'quota', val, valUnit, over };
  if (used !== undefined) q.used = used;
  if (usedUnit !== undefined) q.usedUnit = usedUnit;
  return q;
}

/** `{"val": 3, "inv": true}`. */
function readCtCount(s: Scope, f: Fields, over: boolean): CtCountSource | undefined {
  const n = count(s, f, 'val');
  if (n !== undefined && n > U32) return s.r.schema(`"val" must be at most ${U32}, got ${n}`, f.at('val'));
  return n === undefined ? undefined : { what: 'ct count', count: n, over };
}

/** `{"limit": {…}}` & co. as a rule expression: a StateMatch that holds or not. */
export function readStateMatch(s: Scope, key: StatefulKey, body: JsonObject, o: Origin): StateMatch | undefined {
  const source = readStateful(s, key, body, at(o, `.${key}`));
  return source && { kind: 'state', source, op: '==', origin: o };
}

// ─── dynamic sets ────────────────────────────────────────────────────────────────────────────────

/**
 * Per table (`family name`), the sets a set statement of one of its rules names (`update @s { … }`):
 * they are dynamic whatever their flags (nft 1.0.6's JSON drops the `dynamic` flag).
 */
export function updatedSets(rules: PendingRule[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const p of rules) {
    const exprs = Array.isArray(p.body.expr) ? p.body.expr : [];
    for (const e of exprs) {
      const ref = isObject(e) && soleKey(e) === 'set' && isObject(e.set) ? e.set.set : undefined;
      if (!isNamedRef(ref)) continue;
      if (!out.has(p.table)) out.set(p.table, new Set());
      out.get(p.table)!.add(ref.slice(1));
    }
  }
  return out;
}

/** The dynamic set `"@name"` names, if it does (undefined: not a reference, not a dynamic set, or refused). */
export function dynamicSet(s: Scope, v: Json | undefined): NamedSet | undefined {
  if (!isNamedRef(v)) return undefined;
  const set = s.namedSet(v.slice(1));
  return set !== 'refused' && set?.dynamic ? set : undefined;
}

const setTypes = (set: NamedSet): SetType[] => set.concat?.types ?? [set.type];

/** A schema error when the set's type(s) cannot hold the key's fields (nft refuses the pair). */
function misfit(s: Scope, set: NamedSet, fields: MatchField[], o: Origin): boolean {
  const types = setTypes(set);
  if (types.length === fields.length && types.every((t, i) => setTypeFits(t, fields[i]!))) return false;
  s.r.schema(`set @${set.name} holds ${types.join(' . ')} values, which ${fields.join(' . ')} cannot be compared with`, o);
  return true;
}

/** `ip saddr @dyn`, `ip saddr . th dport != @dyn`: the matches the fields imply, then the lookup as a StateMatch. */
export function dynSetMatch(s: Scope, set: NamedSet, fields: MatchField[], pre: Match[], op: string, o: Origin, ro: Origin): (Match | StateMatch)[] | undefined {
  if (op !== '==' && op !== '!=' && op !== 'in') return s.r.unsupported(`${op} on a dynamic set`, o);
  if (misfit(s, set, fields, ro)) return undefined;
  const m: StateMatch = { kind: 'state', source: { what: 'set', set: set.name, key: fields, op: op === '!=' ? '!=' : '==' }, op: '==', origin: o };
  return [...pre, m];
}

// ─── the set statement ───────────────────────────────────────────────────────────────────────────

/**
 * `{"set": {"op": "add"|"update"|"delete", "elem": KEY | {"elem": {"val": KEY, "timeout": N}},
 * "set": "@name", "stmt": [{"limit": …}]}}` → the statement, and the matches its key implies
 * (`tcp dport` → `meta l4proto tcp`, which nft adds too).
 */
export function readSetUpdate(s: Scope, body: Json, o: Origin): { stmt: SetUpdateStmt; pre: Match[] } | undefined {
  const bo = at(o, '.set');
  if (!isObject(body)) return s.r.schema(`"set" must be an object, got ${describe(body)}`, bo);
  const f = new Fields(s.r, body, bo);
  const op = f.oneOf('op', ['add', 'update', 'delete'] as const);
  const ref = f.string('set');
  if (ref !== undefined && !isNamedRef(ref)) return s.r.schema(`"set" names a set as "@name", got ${describe(ref)}`, f.at('set'));
  if (!f.has('elem')) return s.r.schema('missing "elem"', f.at('elem'));
  const elem = readUpdateElement(s, body.elem!, o, f.at('elem'));
  const stateful = f.has('stmt') ? readElementStatement(s, body.stmt!, f.at('stmt')) : null;
  const set = ref === undefined ? undefined : s.namedSet(ref.slice(1));
  if (ref !== undefined && set === undefined) namedRef(s, ref, f.at('set'));
  if (!op || !elem || stateful === undefined || !set || set === 'refused' || misfit(s, set, elem.fields, f.at('set'))) return undefined;
  const stmt: SetUpdateStmt = { kind: 'set-update', op, set: set.name, key: elem.fields, origin: o };
  if (elem.timeout !== undefined) stmt.timeout = elem.timeout;
  if (stateful) stmt.stateful = stateful;
  return { stmt, pre: elem.pre };
}

/** The element a set statement adds: its key's fields (read as a map key), and its own timeout. */
function readUpdateElement(s: Scope, v: Json, o: Origin, eo: Origin): { fields: MatchField[]; pre: Match[]; timeout?: number } | undefined {
  let key = v;
  let ko = eo;
  let timeout: number | undefined;
  if (isObject(v) && soleKey(v) === 'elem') {
    if (!isObject(v.elem)) return s.r.schema(`"elem" must be an object, got ${describe(v.elem!)}`, at(eo, '.elem'));
    const f = new Fields(s.r, v.elem, at(eo, '.elem'));
    const other = Object.keys(v.elem).find((k) => k !== 'val' && k !== 'timeout');
    if (other !== undefined) return s.r.unsupported(`set element option "${other}" in a set statement`, f.at(other));
    if (!f.has('val')) return s.r.schema('missing "val"', f.at('val'));
    timeout = count(s, f, 'timeout', false);
    if (f.has('timeout') && timeout === undefined) return undefined;
    key = v.elem.val!;
    ko = f.at('val');
  }
  // `ip saddr . 10002` (a port knock's next step): the model's key holds fields only.
  const parts = isObject(key) && soleKey(key) === 'concat' && Array.isArray(key.concat) ? key.concat : [key];
  const constant = parts.findIndex((p) => !isObject(p));
  if (constant >= 0) return s.r.unsupported('a constant in the key of a set statement', parts.length > 1 ? at(ko, `.concat[${constant}]`) : ko);
  const k = readKey(s, key, o, ko);
  if (!k) return undefined;
  if (k.state) return s.r.unsupported('numgen as the key of a set statement', ko);
  if (k.ifindex) return s.r.unsupported(`${k.fields[0]!.slice(0, -4)} as the key of a set statement`, ko);
  return timeout === undefined ? { fields: k.fields, pre: k.pre } : { fields: k.fields, pre: k.pre, timeout };
}

/** `[{"limit": …}]`: the one stateful statement on the element (null: none); others are refused. */
function readElementStatement(s: Scope, v: Json, o: Origin): SetUpdateStmt['stateful'] | null | undefined {
  if (!Array.isArray(v)) return s.r.schema(`"stmt" must be an array, got ${describe(v)}`, o);
  if (v.length === 0) return null;
  if (v.length > 1) return s.r.unsupported('several statements on a set element', at(o, '[1]'));
  const so = at(o, '[0]');
  const key = soleKey(v[0]);
  if (key === undefined || !isObject(v[0])) return s.r.schema(`a statement is an object with one key, got ${describe(v[0]!)}`, so);
  const body = v[0][key]!;
  if (!isStateful(key)) return s.r.unsupported(`${key} on a set element`, so);
  if (!isObject(body)) return s.r.unsupported(`named ${key} ${describe(body)} on a set element`, so);
  return readStateful(s, key, body, at(so, `.${key}`));
}
