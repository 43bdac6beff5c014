// nft JSON maps → IR lookups: named maps (`{"map": {name, type, map, flags, elem}}`, read once
// per table on first use), verdict maps (`{"vmap": {key, data}}`) and map expressions as a
// statement's value (`meta mark set ip saddr map {…}`, `snat ip prefix to ip saddr map {…}`).
// A key is one field, a concatenation, or `numgen`, `jhash`, `symhash` (their numbers are the
// element keys: a stateful key, MapLookup.state); elements are `[key, value]` pairs (`*` the
// catch-all). Values are verdicts, marks or addresses; other data types and keys nftlens cannot
// compare (a masked field) are refused, located.

import type { Origin } from '../../model/origin.js';
import type { Item, MapData, MapElement, MapLookup, Match, MatchField, NamedMap, NumberSource, SetType, Verdict } from '../../model/ruleset.js';
import { SET_TYPE_FIELD, setTypeFits } from '../../model/values.js';
import { concatFields, readConcatKey, readTuple } from './concat.js';
import { readLeft } from './match.js';
import { describe, elementScope, Fields, isObject, soleKey, type Json, type JsonObject, type Reader, type Scope } from './reader.js';
import { readSetFlags, unwrapElement } from './sets.js';
import { isNamedRef, readItem } from './value.js';
import { isNumberSource, readNumberSource, readNumgenItem } from './state.js';

const at = (o: Origin, suffix: string): Origin => ({ ...o, field: `${o.field ?? ''}${suffix}` });

const DATA_TYPES: readonly MapData[] = ['verdict', 'mark', 'ipv4_addr', 'ipv6_addr'];

/** Reads one map value; undefined after reporting why not. */
export type ValueReader<V> = (s: Scope, v: Json, o: Origin) => V | undefined;

/** What a lookup's value must be: the data types that fit, and how to read one. */
export interface MapValues<V> {
  data: readonly MapData[];
  read: ValueReader<V>;
}

/** A lookup's key: its fields and the `meta l4proto` matches `tcp dport` & co imply, or a number source (`state`, no field). */
export interface Key {
  fields: MatchField[];
  pre: Match[];
  ifindex?: true;
  state?: NumberSource;
}

/** A lookup's key: one field, a concatenation, or numgen, jhash, symhash. */
export function readKey(s: Scope, key: Json, o: Origin, ko: Origin): Key | undefined {
  if (isObject(key) && soleKey(key) === 'concat' && Array.isArray(key.concat)) return readConcatKey(s, key.concat, o, ko);
  const k = soleKey(key);
  if (isNumberSource(k) && isObject(key)) {
    const read = readNumberSource(s, key, ko, o);
    return read && { fields: [], pre: read.pre, state: read.source };
  }
  const l = readLeft(s, key, ko);
  if (!l) return undefined;
  if (l.mask !== undefined || l.icmp) return s.r.unsupported(`${l.icmp ? `${l.icmp.proto} ${l.icmp.name}` : 'bitwise &'} as a map key`, ko);
  const pre: Match[] = l.l4proto === undefined ? [] : [{ kind: 'match', field: 'meta l4proto', op: '==', value: l.l4proto, origin: o }];
  return l.ifindex ? { fields: [l.field], pre, ifindex: true } : { fields: [l.field], pre };
}

/**
 * `{"key": K, "data": "@name" | {"set": [[k, v], …]}}` → a lookup, and the matches its key implies;
 * undefined after reporting why not.
 */
export function readLookup<V>(s: Scope, body: Json, o: Origin, values: MapValues<V>): { lookup: MapLookup<V>; pre: Match[] } | undefined {
  if (!isObject(body)) return s.r.schema(`a map lookup is an object with "key" and "data", got ${describe(body)}`, o);
  const f = new Fields(s.r, body, o);
  if (!f.has('key') || !f.has('data')) return s.r.schema('a map lookup needs "key" and "data"', o);
  const data = body.data!;
  const key = readKey(s, body.key!, o, f.at('key'));
  if (!key) {
    if (isNamedRef(data)) s.namedMap(data.slice(1)); // read and marked used: its own problems get reported
    return undefined;
  }
  if (key.state && isNamedRef(data)) {
    s.namedMap(data.slice(1)); // read and marked used: its own problems get reported
    return s.r.unsupported(`${key.state.what} looked up in a named map (${data})`, f.at('data'));
  }
  const lookup = readData(s, key.fields, data, f.at('data'), values, key.state ? numgenKey : fieldsKey(key.fields));
  if (lookup && key.state) lookup.state = key.state;
  if (lookup && key.ifindex) {
    // An interface index has no wildcard: nft resolved each name to an interface when it loaded the rule.
    if (lookup.map !== undefined) return s.r.unsupported(`${key.fields[0]!.slice(0, -4)} looked up in a named map`, f.at('key'));
    const star = lookup.elements.findIndex((e) => typeof e.key[0] === 'string' && e.key[0].includes('*'));
    if (star >= 0) return s.r.unsupported(`${key.fields[0]!.slice(0, -4)} "${String(lookup.elements[star]!.key[0])}" (a name with *)`, lookup.elements[star]!.origin);
    lookup.ifindex = true;
  }
  return lookup && { lookup, pre: key.pre };
}

/** Reads one element's key (not the catch-all `*`): one item per key field, or undefined after reporting why not. */
type KeyItems = (s: Scope, v: Json, o: Origin) => Item[] | undefined;

/** Keys of these fields: an item of the one field, or a concatenation. */
const fieldsKey = (fields: MatchField[]): KeyItems => (s, v, o) => (fields.length === 1 ? wrap(readItem(s, fields[0]!, v, o)) : readTuple(s, fields, v, o));

/** Keys of a numgen or hash lookup: the numbers it draws. */
const numgenKey: KeyItems = (s, v, o) => wrap(readNumgenItem(s, v, o));

function readData<V>(s: Scope, fields: MatchField[], data: Json, o: Origin, values: MapValues<V>, keyItems: KeyItems): MapLookup<V> | undefined {
  if (isNamedRef(data)) {
    const name = data.slice(1);
    const map = s.namedMap(name);
    if (map === 'refused') return undefined;
    if (map === undefined) return s.r.unsupported(`@${name} (${s.useObject(name)})`, o);
    if (map.key.length !== fields.length || map.key.some((t, i) => !setTypeFits(t, fields[i]!))) {
      return s.r.schema(`map @${name} has keys of type ${map.key.join(' . ')}, which ${fields.join(' . ')} cannot be looked up in`, o);
    }
    if (!values.data.includes(map.data)) return s.r.schema(`map @${name} maps to ${map.data}, not ${values.data.join(' or ')}`, o);
    return { key: fields, elements: map.elements as MapElement<V>[], map: name };
  }
  if (!isObject(data) || soleKey(data) !== 'set' || !Array.isArray(data.set)) {
    return s.r.schema(`map data is "@name" or {"set": [[key, value], …]}, got ${describe(data)}`, o);
  }
  const elements = readElements(s, keyItems, data.set, at(o, '.set'), values.read);
  return elements && { key: fields, elements };
}

/** `[[key, value], …]`: every element read (all problems reported), or undefined. */
function readElements<V>(s: Scope, keyItems: KeyItems, list: Json[], o: Origin, read: ValueReader<V>): MapElement<V>[] | undefined {
  const out: MapElement<V>[] = [];
  let ok = true;
  list.forEach((pair, i) => {
    const eo = at(o, `[${i}]`);
    if (!Array.isArray(pair) || pair.length !== 2) {
      ok = false;
      s.r.schema(`a map element is a [key, value] pair, got ${describe(pair)}`, eo);
      return;
    }
    const k = unwrapElement(s, pair[0]!, at(eo, '[0]'));
    // `*`: the catch-all element, an empty key.
    const key = !k ? undefined : k.v === '*' ? [] : keyItems(s, k.v, k.o);
    const value = read(s, pair[1]!, at(eo, '[1]'));
    if (!key || value === undefined) ok = false;
    else out.push({ key, value, origin: eo });
  });
  return ok ? out : undefined;
}

const wrap = (i: Item | undefined): Item[] | undefined => (i === undefined ? undefined : [i]);

/** Reads a `map` object of the listing, or reports why it cannot be modelled (undefined). */
export function readNamedMap(r: Reader, body: JsonObject, origin: Origin, readValue: (data: MapData) => ValueReader<Verdict | number | Item>): NamedMap | undefined {
  const f = new Fields(r, body, origin);
  const name = f.string('name');
  const handle = f.integer('handle', false);
  const comment = f.string('comment', false);
  if (name === undefined) return undefined;
  const types = Array.isArray(body.type) ? body.type : [body.type];
  for (const [i, t] of types.entries()) {
    const to = Array.isArray(body.type) ? at(f.at('type'), `[${i}]`) : f.at('type');
    if (typeof t !== 'string') return r.schema(`a map key type is a string, got ${describe(t)}`, to);
    if (!(t in SET_TYPE_FIELD)) return r.unsupported(`map key type ${t}`, to);
  }
  const data = body.map;
  if (typeof data !== 'string') return r.unsupported(`map data type ${describe(data)}`, f.at('map'));
  if (!DATA_TYPES.includes(data as MapData)) return r.unsupported(`map data type ${data}`, f.at('map'));
  const flags = readSetFlags(r, body, f);
  if (!flags) return undefined;
  const elems = body.elem === undefined ? [] : body.elem;
  if (!Array.isArray(elems)) return r.schema('"elem" must be an array', f.at('elem'));
  const scope = elementScope(r, 'named map');
  const key = types as SetType[];
  const elements = readElements(scope, fieldsKey(concatFields(key)), elems, f.at('elem'), readValue(data as MapData));
  if (!elements) return undefined;
  const map: NamedMap = { name, key, data: data as MapData, flags, elements, origin };
  if (handle !== undefined) map.handle = handle;
  if (comment !== undefined) map.comment = comment;
  return map;
}
