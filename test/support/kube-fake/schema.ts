// A custom resource through its CRD's structural schema, in the API server's order: unknown
// fields pruned, defaults applied, then validated (type, enum, required, format int32/int64,
// minItems/maxItems, minProperties/maxProperties, minimum/maximum, pattern). Failures are one 422
// Invalid with a cause per field, worded as the API server words them.
import type { ResourceType } from './resources.js';
import { invalid, type Obj } from './status.js';

const isMap = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Prunes and defaults in place (metadata, apiVersion and kind are the server's); `pruned` gets the dropped paths. */
function pruneAndDefault(value: unknown, schema: Obj | undefined, path: string, pruned: string[]): unknown {
  if (!schema) return value;
  const at = (k: string) => (path ? `${path}.${k}` : k);
  if (isMap(value)) {
    if (schema.properties) {
      for (const k of Object.keys(value)) {
        if (!(k in schema.properties) && !schema['x-kubernetes-preserve-unknown-fields']) {
          delete value[k];
          pruned.push(at(k));
        }
      }
      for (const [k, s] of Object.entries<Obj>(schema.properties)) {
        if (value[k] === undefined && s.default !== undefined) value[k] = structuredClone(s.default);
        if (value[k] !== undefined) value[k] = pruneAndDefault(value[k], s, at(k), pruned);
      }
    } else if (isMap(schema.additionalProperties)) {
      for (const k of Object.keys(value)) value[k] = pruneAndDefault(value[k], schema.additionalProperties, at(k), pruned);
    }
  } else if (Array.isArray(value) && schema.items) {
    return value.map((v, i) => pruneAndDefault(v, schema.items, `${path}[${i}]`, pruned));
  }
  return value;
}

const show = (v: unknown) => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v));

function typeOk(v: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isMap(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

function validate(v: unknown, s: Obj, path: string, causes: { field: string; message: string }[]): void {
  if (v === null) {
    if (!s.nullable) causes.push({ field: path, message: `Invalid value: "null": ${path} in body must be of type ${s.type}: "null"` });
    return;
  }
  if (s.type && !typeOk(v, s.type)) {
    causes.push({ field: path, message: `Invalid value: ${show(v)}: ${path} in body must be of type ${s.type}: "${Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v}"` });
    return;
  }
  if (s.enum && !s.enum.some((e: unknown) => e === v)) causes.push({ field: path, message: `Unsupported value: ${show(v)}: supported values: ${s.enum.map(show).join(', ')}` });
  if (s.format === 'int32' && typeof v === 'number' && (v < -(2 ** 31) || v > 2 ** 31 - 1)) causes.push({ field: path, message: `Invalid value: ${v}: ${path} in body must be of type int32` });
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) causes.push({ field: path, message: `Invalid value: ${v}: ${path} in body should be greater than or equal to ${s.minimum}` });
    if (s.maximum !== undefined && v > s.maximum) causes.push({ field: path, message: `Invalid value: ${v}: ${path} in body should be less than or equal to ${s.maximum}` });
  }
  if (typeof v === 'string' && s.pattern && !new RegExp(s.pattern).test(v)) causes.push({ field: path, message: `Invalid value: ${show(v)}: ${path} in body should match '${s.pattern}'` });
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) causes.push({ field: path, message: `Invalid value: ${v.length}: ${path} in body should have at least ${s.minItems} items` });
    if (s.maxItems !== undefined && v.length > s.maxItems) causes.push({ field: path, message: `Too many: ${v.length}: must have at most ${s.maxItems} items` });
    if (s.items) v.forEach((item, i) => validate(item, s.items, `${path}[${i}]`, causes));
  }
  if (isMap(v)) {
    const n = Object.keys(v).length;
    if (s.minProperties !== undefined && n < s.minProperties) causes.push({ field: path, message: `Invalid value: ${n}: ${path} in body should have at least ${s.minProperties} properties` });
    if (s.maxProperties !== undefined && n > s.maxProperties) causes.push({ field: path, message: `Too many: ${n}: must have at most ${s.maxProperties} items` });
    for (const r of s.required ?? []) if (v[r] === undefined) causes.push({ field: path ? `${path}.${r}` : r, message: 'Required value' });
    for (const [k, sub] of Object.entries<Obj>(s.properties ?? {})) if (v[k] !== undefined) validate(v[k], sub, path ? `${path}.${k}` : k, causes);
  }
}

/**
 * The object as stored (pruned, defaulted) and the unknown fields pruned from it, or a 422 naming
 * every bad field.
 */
export function checkCustomResource(t: ResourceType, o: Obj): { object: Obj; unknown: string[] } {
  const { metadata, apiVersion, kind, ...rest } = structuredClone(o);
  const unknown: string[] = [];
  const body = pruneAndDefault(rest, t.schema, '', unknown) as Obj;
  const causes: { field: string; message: string }[] = [];
  const { metadata: _m, apiVersion: _a, kind: _k, ...schemaProps } = t.schema!.properties ?? {};
  validate(body, { ...t.schema, properties: schemaProps, required: (t.schema!.required ?? []).filter((r: string) => !['metadata', 'apiVersion', 'kind'].includes(r)) }, '', causes);
  if (causes.length) throw invalid(t.kind, t.group, metadata?.name ?? '', causes);
  return { object: { apiVersion, kind, metadata, ...body }, unknown };
}
