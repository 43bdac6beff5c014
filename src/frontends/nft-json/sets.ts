// Named sets of an nft JSON listing (`{"set": {name, type, flags, elem}}`) → IR NamedSets, read
// once per table when a rule first names one (`"right": "@name"`). Elements are read by the set's
// type; a rule's match then carries them inline. A concatenated type (`["ipv4_addr",
// "inet_service"]`) gives elements `{"concat": [...]}`, one item per type. Sets the packet path
// changes (flags `timeout` or `dynamic`, elements with a timeout) and other types are refused,
// located at the set.

import type { Origin } from '../../model/origin.js';
import type { Item, NamedSet, SetType } from '../../model/ruleset.js';
import { SET_TYPE_FIELD } from '../../model/values.js';
import { concatFields, readTuple } from './concat.js';
import { describe, elementScope, Fields, isObject, soleKey, type Json, type JsonObject, type Reader, type Scope } from './reader.js';
import { readItem } from './value.js';

const at = (o: Origin, suffix: string): Origin => ({ ...o, field: `${o.field ?? ''}${suffix}` });

/** Reads a `set` object of the listing, or reports why it cannot be modelled (undefined). */
export function readNamedSet(r: Reader, body: JsonObject, origin: Origin): NamedSet | undefined {
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
  const flags = readSetFlags(r, body, f);
  if (!flags) return undefined;
  const elems = body.elem === undefined ? [] : body.elem;
  if (!Array.isArray(elems)) return r.schema('"elem" must be an array', f.at('elem'));
  const scope = elementScope(r, 'named set');
  const concat = Array.isArray(type) ? { types: type as SetType[], elements: [] as Item[][] } : undefined;
  const fields = concat ? concatFields(concat.types) : [SET_TYPE_FIELD[type as SetType]];
  const elements: Item[] = [];
  let ok = true;
  for (const [i, e] of elems.entries()) {
    const val = unwrapElement(scope, e, at(f.at('elem'), `[${i}]`));
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
  const set: NamedSet = { name, type: types[0] as SetType, flags, elements, origin };
  if (concat) set.concat = concat;
  if (handle !== undefined) set.handle = handle;
  if (comment !== undefined) set.comment = comment;
  return set;
}

/** A set's or map's flags; those of sets the packet path changes, and timeouts, are refused. */
export function readSetFlags(r: Reader, body: JsonObject, f: Fields): NamedSet['flags'] | undefined {
  const flagsRaw = body.flags === undefined ? [] : Array.isArray(body.flags) ? body.flags : [body.flags];
  const flags: NamedSet['flags'] = [];
  for (const [i, x] of flagsRaw.entries()) {
    if (x === 'interval' || x === 'constant') flags.push(x);
    else if (x === 'timeout' || x === 'dynamic') {
      return r.unsupported(`set updated from the packet path (flag ${x})`, at(f.at('flags'), `[${i}]`));
    } else return r.unsupported(`set flag ${describe(x)}`, at(f.at('flags'), `[${i}]`));
  }
  if (body.timeout !== undefined) return r.unsupported('set with a timeout', f.at('timeout'));
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

/** An element's value: `{"elem": {"val": …, "counter"|"comment": …}}` unwrapped; a timeout is refused. */
export function unwrapElement(s: Scope, e: Json, o: Origin): { v: Json; o: Origin } | undefined {
  if (!(isObject(e) && soleKey(e) === 'elem' && isObject(e.elem))) return { v: e, o };
  const body = e.elem;
  for (const k of Object.keys(body)) {
    if (k === 'timeout' || k === 'expires') return s.r.unsupported('set element with a timeout', at(o, `.elem.${k}`));
    if (k !== 'val' && k !== 'counter' && k !== 'comment') return s.r.unsupported(`set element option "${k}"`, at(o, `.elem.${k}`));
  }
  if (body.val === undefined) return s.r.schema('a set element needs "val"', at(o, '.elem'));
  return { v: body.val, o: at(o, '.elem.val') };
}

