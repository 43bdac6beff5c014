// Named sets of an nft JSON listing (`{"set": {name, type, flags, elem, timeout, size, gc-interval}}`)
// → IR NamedSets, read once per table when a rule first names one (`"right": "@name"`). Elements
// are read by the set's type; a rule's match then carries them inline. A concatenated type
// (`["ipv4_addr", "inet_service"]`) gives elements `{"concat": [...]}`, one item per type. A set the
// packet path changes (flag `dynamic` or `timeout`, or named by a set statement of its table) is
// `dynamic`: lookups in it are stateful (state.ts); its elements' timeouts and expiry times are
// runtime state, not kept. Other types, and maps the packet path changes, are refused, located.

import type { Origin } from '../../model/origin.js';
import type { Item, NamedMap, NamedSet, SetType } from '../../model/ruleset.js';
import { SET_TYPE_FIELD } from '../../model/values.js';
import { concatFields, readTuple } from './concat.js';
import { describe, elementScope, Fields, isObject, soleKey, type Json, type JsonObject, type Reader, type Scope } from './reader.js';
import { readItem } from './value.js';

const at = (o: Origin, suffix: string): Origin => ({ ...o, field: `${o.field ?? ''}${suffix}` });

/**
 * Reads a `set` object of the listing, or reports why it cannot be modelled (undefined). `updated`:
 * a set statement of the table names it (so it is dynamic whatever its flags say).
 */
export function readNamedSet(r: Reader, body: JsonObject, origin: Origin, updated = false): NamedSet | undefined {
  const f = new Fields(r, body, origin);
  const name = f.string('name');
  const handle = f.integer('handle', false);
  const comment = f.string('comment', false);
  if (name === undefined) return undefined;
  const type = body.type;
  const types = Array.isArray(type) ? type : [type];
  for (const [i, t] of types.entries()) {
    const to = Array.isArray(type) ? at(f.at('type'), `[${i}]`) : f.at('type');
    if (typeof t !== 'string') return r.schema(`a set type is a string, got ${describe(t)}`, to);
    if (!(t in SET_TYPE_FIELD)) return r.unsupported(`set type ${t}`, to);
  }
  const flags = readSetFlags(r, body, f, true);
  const limits = readSetLimits(r, f);
  if (!flags || !limits) return undefined;
  const elems = body.elem === undefined ? [] : body.elem;
  if (!Array.isArray(elems)) return r.schema('"elem" must be an array', f.at('elem'));
  const scope = elementScope(r, 'named set');
  const concat = Array.isArray(type) ? { types: type as SetType[], elements: [] as Item[][] } : undefined;
  const fields = concat ? concatFields(concat.types) : [SET_TYPE_FIELD[type as SetType]];
  const elements: Item[] = [];
  let ok = true;
  for (const [i, e] of elems.entries()) {
    const val = unwrapElement(scope, e, at(f.at('elem'), `[${i}]`), true);
    if (!val) ok = false;
    else if (concat) {
      const tuple = readTuple(scope, fields, val.v, val.o);
      if (tuple) concat.elements.push(tuple);
      else ok = false;
    } else {
      const item = readItem(scope, fields[0]!, val.v, val.o);
      if (item === undefined) ok = false;
      else elements.push(item);
    }
  }
  if (!ok) return undefined;
  const set: NamedSet = { name, type: types[0] as SetType, flags, elements, origin, ...limits };
  if (concat) set.concat = concat;
  if (updated || flags.includes('dynamic') || flags.includes('timeout')) set.dynamic = true;
  if (handle !== undefined) set.handle = handle;
  if (comment !== undefined) set.comment = comment;
  return set;
}

/** `timeout`, `size`, `gc-interval` (seconds, elements), each when listed. */
function readSetLimits(r: Reader, f: Fields): Pick<NamedSet, 'timeout' | 'size' | 'gcInterval'> | undefined {
  const out: Pick<NamedSet, 'timeout' | 'size' | 'gcInterval'> = {};
  let ok = true;
  for (const [key, prop] of [['timeout', 'timeout'], ['size', 'size'], ['gc-interval', 'gcInterval']] as const) {
    const n = f.integer(key, false);
    if (n !== undefined && n < 0) ok = r.schema(`"${key}" must not be negative, got ${n}`, f.at(key)) ?? false;
    else if (n !== undefined) out[prop] = n;
    else if (f.has(key)) ok = false;
  }
  return ok ? out : undefined;
}

/**
 * A set's or map's flags. `dynamic` and `timeout` (the packet path changes it) only on a set
 * (`dynamic`), refused on a map, as is a map's timeout.
 */
export function readSetFlags(r: Reader, body: JsonObject, f: Fields): NamedMap['flags'] | undefined;
export function readSetFlags(r: Reader, body: JsonObject, f: Fields, dynamic: true): NamedSet['flags'] | undefined;
export function readSetFlags(r: Reader, body: JsonObject, f: Fields, dynamic = false): NamedSet['flags'] | undefined {
  const flagsRaw = body.flags === undefined ? [] : Array.isArray(body.flags) ? body.flags : [body.flags];
  const flags: NamedSet['flags'] = [];
  for (const [i, x] of flagsRaw.entries()) {
    if (x === 'interval' || x === 'constant' || (dynamic && (x === 'timeout' || x === 'dynamic'))) flags.push(x);
    else if (x === 'timeout' || x === 'dynamic') {
      return r.unsupported(`map updated from the packet path (flag ${x})`, at(f.at('flags'), `[${i}]`));
    } else return r.unsupported(`set flag ${describe(x)}`, at(f.at('flags'), `[${i}]`));
  }
  if (!dynamic && body.timeout !== undefined) return r.unsupported('map with a timeout', f.at('timeout'));
  if (body.stmt !== undefined) {
    if (!isCountersOnly(body.stmt)) return r.unsupported('set with element statements', f.at('stmt'));
    r.unsupported('per-element counters', f.at('stmt'), 'warning', 'ignored: they change no verdict, and nftlens does not keep them');
  }
  return flags;
}

/** `[{"counter": null}]`: per-element counters, which change no verdict. */
function isCountersOnly(stmt: Json): boolean {
  return Array.isArray(stmt) && stmt.every((x) => soleKey(x) === 'counter');
}

/**
 * An element's value: `{"elem": {"val": …, "counter"|"comment": …}}` unwrapped. A timeout (and the
 * time left, `expires`) is runtime state of a dynamic set's element, ignored with `timeouts`,
 * refused otherwise (a map's).
 */
export function unwrapElement(s: Scope, e: Json, o: Origin, timeouts = false): { v: Json; o: Origin } | undefined {
  if (!(isObject(e) && soleKey(e) === 'elem' && isObject(e.elem))) return { v: e, o };
  const body = e.elem;
  for (const k of Object.keys(body)) {
    if (k === 'timeout' || k === 'expires') {
      if (!timeouts) return s.r.unsupported('map element with a timeout', at(o, `.elem.${k}`));
      if (typeof body[k] !== 'number') return s.r.schema(`"${k}" must be a number of seconds, got ${describe(body[k]!)}`, at(o, `.elem.${k}`));
      continue;
    }
    if (k !== 'val' && k !== 'counter' && k !== 'comment') return s.r.unsupported(`set element option "${k}"`, at(o, `.elem.${k}`));
  }
  if (body.val === undefined) return s.r.schema('a set element needs "val"', at(o, '.elem'));
  return { v: body.val, o: at(o, '.elem.val') };
}

