// nft JSON concatenations (`{"concat": [left, left, …]}`) looked up in a set → IR ConcatMatch:
// `ip daddr . tcp dport { 10.0.0.1 . 22, 10.0.1.0/24 . 80-90 }`, or `@name` of a concatenated
// named set (sets.ts). Each part is a plain field (no mask, no icmp word); `tcp dport` & co add
// their `meta l4proto` match first, as for a single field. `meta iif`/`oif` parts stay refused. A
// lookup in a dynamic set is a StateMatch (state.ts).

import type { ConcatMatch, Item, Match, MatchField, StateMatch } from '../../model/ruleset.js';
import type { Origin } from '../../model/origin.js';
import { SET_TYPE_FIELD, setTypeFits } from '../../model/values.js';
import { readLeft } from './match.js';
import { describe, isObject, soleKey, type Json, type Scope } from './reader.js';
import { isNamedRef, namedRef, readItem } from './value.js';
import { dynamicSet, dynSetMatch } from './state.js';

const at = (o: Origin, suffix: string): Origin => ({ ...o, field: `${o.field ?? ''}${suffix}` });

export function readConcatMatch(s: Scope, op: string, left: Json[], right: Json, o: Origin, lo: Origin, ro: Origin): (Match | ConcatMatch | StateMatch)[] | undefined {
  const key = readConcatKey(s, left, o, lo);
  if (!key) {
    if (isNamedRef(right) && s.namedSet(right.slice(1)) === undefined) namedRef(s, right, ro);
    return undefined;
  }
  const { fields, pre } = key;
  const dynamic = dynamicSet(s, right);
  if (dynamic) return dynSetMatch(s, dynamic, fields, pre, op, o, ro);
  let ok = true;
  if (op !== '==' && op !== '!=' && op !== 'in') return s.r.unsupported(`${op} on a concatenation`, o);
  let elements: Item[][] | undefined;
  let set: string | undefined;
  if (isNamedRef(right)) {
    set = right.slice(1);
    const named = s.namedSet(set);
    if (named === 'refused') return undefined;
    if (named === undefined) return void namedRef(s, right, ro);
    const types = named.concat?.types;
    if (!types || types.length !== fields.length || types.some((t, i) => !setTypeFits(t, fields[i]!))) {
      return s.r.schema(`set @${set} holds ${types ? types.join(' . ') : named.type} values, which ${fields.join(' . ')} cannot be compared with`, ro);
    }
    elements = named.concat!.elements;
  } else if (isObject(right) && soleKey(right) === 'set' && Array.isArray(right.set)) {
    elements = [];
    for (const [i, e] of right.set.entries()) {
      const tuple = readTuple(s, fields, e, at(ro, `.set[${i}]`));
      if (tuple) elements.push(tuple);
      else ok = false;
    }
  } else {
    const tuple = readTuple(s, fields, right, ro);
    if (tuple) elements = [tuple];
  }
  if (!ok || !elements) return undefined;
  const m: ConcatMatch = { kind: 'concat', fields, op: op === '!=' ? '!=' : '==', elements, origin: o };
  if (set !== undefined) m.set = set;
  return [...pre, m];
}

/** The fields of a concatenated key (match, map or vmap), and the `meta l4proto` matches `tcp dport` & co imply. */
export function readConcatKey(s: Scope, left: Json[], o: Origin, lo: Origin): { fields: MatchField[]; pre: Match[] } | undefined {
  const fields: MatchField[] = [];
  const pre: Match[] = [];
  let ok = true;
  left.forEach((part, i) => {
    const po = at(lo, `.concat[${i}]`);
    const l = readLeft(s, part, po);
    if (!l) ok = false;
    else if (l.mask !== undefined || l.icmp) {
      ok = false;
      s.r.unsupported(`${l.icmp ? `${l.icmp.proto} ${l.icmp.name}` : 'bitwise &'} in a concatenation`, po);
    } else if (l.ifindex) {
      // An interface index (no wildcard, rendered `iif`) is not an `iifname` part: not modelled here.
      ok = false;
      s.r.unsupported(`${l.field.slice(0, -4)} in a concatenation`, po);
    } else {
      fields.push(l.field);
      if (l.l4proto !== undefined) pre.push({ kind: 'match', field: 'meta l4proto', op: '==', value: l.l4proto, origin: o });
    }
  });
  return ok ? { fields, pre } : undefined;
}

/** `{"concat": [v1, v2, …]}`: one item per field, each read as that field's value. */
export function readTuple(s: Scope, fields: MatchField[], v: Json, o: Origin): Item[] | undefined {
  if (!isObject(v) || soleKey(v) !== 'concat' || !Array.isArray(v.concat)) return s.r.schema(`expected a concatenation {"concat": [...]}, got ${describe(v)}`, o);
  if (v.concat.length !== fields.length) return s.r.schema(`a concatenation of ${v.concat.length} values for ${fields.length} fields`, o);
  const out: Item[] = [];
  let ok = true;
  v.concat.forEach((x, i) => {
    const item = readItem(s, fields[i]!, x, at(o, `.concat[${i}]`));
    if (item === undefined) ok = false;
    else out.push(item);
  });
  return ok ? out : undefined;
}

/** The fields to read a concatenated set's elements by, from its types. */
export function concatFields(types: (keyof typeof SET_TYPE_FIELD)[]): MatchField[] {
  return types.map((t) => SET_TYPE_FIELD[t]);
}
