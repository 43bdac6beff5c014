// Named sets of an nft JSON listing (`{"set": {name, type, flags, elem}}`) → IR NamedSets, read
// once per table when a rule first names one (`"right": "@name"`). Elements are read by the set's
// type; a rule's match then carries them inline. Sets the packet path changes (flags `timeout`
// or `dynamic`, elements with a timeout) and concatenated types are refused, located at the set.

import type { Origin } from '../../model/origin.js';
import type { Item, MatchField, NamedSet, SetType } from '../../model/ruleset.js';
import { SET_TYPE_FIELD } from '../../model/values.js';
import { describe, Fields, isObject, soleKey, type Json, type JsonObject, type Reader, type Scope } from './reader.js';
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
  if (Array.isArray(type)) return r.unsupported(`concatenated set type ${type.map(String).join(' . ')}`, f.at('type'));
  if (typeof type !== 'string') return r.schema(`"type" must be a string, got ${describe(type)}`, f.at('type'));
  if (!(type in SET_TYPE_FIELD)) return r.unsupported(`set type ${type}`, f.at('type'));
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
  const field = SET_TYPE_FIELD[type as SetType];
  const elems = body.elem === undefined ? [] : body.elem;
  if (!Array.isArray(elems)) return r.schema('"elem" must be an array', f.at('elem'));
  const elements: Item[] = [];
  let ok = true;
  const scope: Scope = { r, useObject: () => 'named set', namedSet: () => undefined };
  for (const [i, e] of elems.entries()) {
    const item = readElement(scope, field, e, at(f.at('elem'), `[${i}]`));
    if (item === undefined) ok = false;
    else elements.push(item);
  }
  if (!ok) return undefined;
  const set: NamedSet = { name, type: type as SetType, flags, elements, origin };
  if (handle !== undefined) set.handle = handle;
  if (comment !== undefined) set.comment = comment;
  return set;
}

/** `[{"counter": null}]`: per-element counters, which change no verdict. */
function isCountersOnly(stmt: Json): boolean {
  return Array.isArray(stmt) && stmt.every((x) => soleKey(x) === 'counter');
}

/** One element: a value, or `{"elem": {"val": …, "counter"|"comment": …}}`; a timeout is refused. */
function readElement(s: Scope, field: MatchField, e: Json, o: Origin): Item | undefined {
  if (isObject(e) && soleKey(e) === 'elem' && isObject(e.elem)) {
    const body = e.elem;
    for (const k of Object.keys(body)) {
      if (k === 'timeout' || k === 'expires') return s.r.unsupported('set element with a timeout', at(o, `.elem.${k}`));
      if (k !== 'val' && k !== 'counter' && k !== 'comment') return s.r.unsupported(`set element option "${k}"`, at(o, `.elem.${k}`));
    }
    if (body.val === undefined) return s.r.schema('a set element needs "val"', at(o, '.elem'));
    return readItem(s, field, body.val, at(o, '.elem.val'));
  }
  return readItem(s, field, e, o);
}
