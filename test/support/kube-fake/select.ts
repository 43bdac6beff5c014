// labelSelector and fieldSelector as the API server parses them: equality (=, ==, !=), set-based
// (in, notin), existence (key, !key) for labels; =, ==, != on supported field labels for fields.
import { badRequest, type Obj } from './status.js';

export type Predicate = (obj: Obj) => boolean;

/** Splits on commas that are not inside parentheses. */
function terms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, whole: string): void {
  if (!KEY.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${whole}"`);
}
function checkValue(value: string, whole: string): void {
  if (!VALUE.test(value)) throw badRequest(`unable to parse requirement: invalid label value "${value}" in "${whole}"`);
}

export function labelSelector(text: string | null): Predicate {
  if (!text) return () => true;
  const tests: Predicate[] = terms(text).map((term) => {
    const labels = (o: Obj): Record<string, string> => o.metadata?.labels ?? {};
    let m = /^(\S+?)\s+(in|notin)\s+\((.*)\)$/.exec(term);
    if (m) {
      const [, key, op, list] = m;
      checkKey(key, text);
      const values = list.split(',').map((v) => v.trim()).filter((v) => v !== '');
      values.forEach((v) => checkValue(v, text));
      return op === 'in'
        ? (o) => key in labels(o) && values.includes(labels(o)[key])
        : (o) => !(key in labels(o)) || !values.includes(labels(o)[key]);
    }
    m = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(term);
    if (m) {
      const [, key, op, value] = m;
      checkKey(key, text);
      checkValue(value, text);
      return op === '!=' ? (o) => labels(o)[key] !== value : (o) => labels(o)[key] === value;
    }
    m = /^(!?)\s*(\S+)$/.exec(term);
    if (m) {
      const [, not, key] = m;
      checkKey(key, text);
      return not ? (o) => !(key in labels(o)) : (o) => key in labels(o);
    }
    throw badRequest(`unable to parse requirement: found '${term}', expected: identifier`);
  });
  return (o) => tests.every((t) => t(o));
}

function fieldValue(obj: Obj, path: string): string {
  let v: any = obj;
  for (const part of path.split('.')) v = v?.[part];
  return v === undefined || v === null ? '' : String(v);
}

/** `supported` lists the field labels the kind accepts besides metadata.name and metadata.namespace. */
export function fieldSelector(text: string | null, supported: string[]): Predicate {
  if (!text) return () => true;
  const tests: Predicate[] = terms(text).map((term) => {
    const m = /^([^=!]+?)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const [, field, op, value] = m;
    if (field !== 'metadata.name' && field !== 'metadata.namespace' && !supported.includes(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    return op === '!=' ? (o) => fieldValue(o, field) !== value : (o) => fieldValue(o, field) === value;
  });
  return (o) => tests.every((t) => t(o));
}
