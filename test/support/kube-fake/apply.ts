// Server-side apply (PATCH with application/apply-patch+yaml) as the API server does it, for the
// fields kubectl and controllers apply: each manager's applied fields are recorded in
// metadata.managedFields (operation Apply, FieldsV1: `f:` keys, leaves `{}`); an apply sets every
// field it names, removes the fields its manager applied before and no longer names (unless another
// manager owns them too), and is a 409 Conflict (reason Conflict, one cause per field, type
// FieldManagerConflict) when it changes a field another manager owns — unless force=true, which
// takes the field over. The object is created when absent. Lists are atomic (the CRD's lists carry
// no x-kubernetes-list-type: each is owned as one field), maps are granular; metadata's labels and
// annotations are per key, the rest of metadata, apiVersion, kind and status are not applied.
// Simplification: writes other than applies (PUT, other patches) are not recorded as Update
// entries, so they never conflict with an apply.
import { isDeepStrictEqual } from 'node:util';
import { ApiError, type Obj } from './status.js';

type Path = string[];
const SEP = '\u0000';

/** The leaf paths an applied configuration names. */
export function fieldPaths(o: Obj): Path[] {
  const out: Path[] = [];
  const walk = (v: unknown, at: Path) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) {
      for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
    } else out.push(at);
  };
  for (const [k, v] of Object.entries(o)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status') continue;
    if (k === 'metadata') {
      for (const m of ['labels', 'annotations']) for (const key of Object.keys(v?.[m] ?? {})) out.push(['metadata', m, key]);
      continue;
    }
    walk(v, [k]);
  }
  return out;
}

export function toFieldsV1(paths: Path[]): Obj {
  const root: Obj = {};
  for (const p of paths) {
    let n = root;
    for (const k of p) n = n[`f:${k}`] ??= {};
  }
  return root;
}

export function fromFieldsV1(f: Obj | undefined, at: Path = []): Path[] {
  const out: Path[] = [];
  for (const [k, v] of Object.entries(f ?? {})) {
    if (!k.startsWith('f:')) continue;
    const p = [...at, k.slice(2)];
    if (v && typeof v === 'object' && Object.keys(v).length) out.push(...fromFieldsV1(v as Obj, p));
    else out.push(p);
  }
  return out;
}

const valueAt = (o: unknown, p: Path): unknown => p.reduce<any>((v, k) => (v === null || typeof v !== 'object' ? undefined : v[k]), o);

function setAt(o: Obj, p: Path, value: unknown): void {
  let n = o;
  for (const k of p.slice(0, -1)) n = n[k] !== null && typeof n[k] === 'object' && !Array.isArray(n[k]) ? n[k] : (n[k] = {});
  n[p[p.length - 1]!] = structuredClone(value);
}

function removeAt(o: Obj, p: Path): void {
  const parents: Obj[] = [o];
  let n: any = o;
  for (const k of p.slice(0, -1)) {
    n = n?.[k];
    if (n === null || typeof n !== 'object') return;
    parents.push(n);
  }
  delete n[p[p.length - 1]!];
  // Maps the removal left empty go too (as the merge of an applied configuration leaves them).
  for (let i = p.length - 2; i >= 0; i--) {
    const parent = parents[i]!;
    const child = parent[p[i]!];
    if (child && typeof child === 'object' && !Array.isArray(child) && Object.keys(child).length === 0) delete parent[p[i]!];
    else break;
  }
}

const key = (p: Path) => p.join(SEP);
const dotted = (p: Path) => p.map((k) => (/^[A-Za-z0-9_-]+$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)).join('');

interface Entry {
  manager: string;
  operation: string;
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Obj;
  subresource?: string;
}

/**
 * The object after `manager` applies `applied` to `live` (undefined: absent), with its
 * managedFields; a 409 ApiError on conflicts without force. A field conflicts when another
 * manager owns it and the merged object, as stored (`normalize`: pruned and defaulted), holds
 * another value there than the live one.
 */
export function serverSideApply(
  live: Obj | undefined, applied: Obj, manager: string, force: boolean, now: string,
  at: { group: string; resource: string; name: string }, normalize: (o: Obj) => Obj,
): Obj {
  const { group, resource, name } = at;
  const apiVersion = String(applied.apiVersion ?? live?.apiVersion ?? '');
  const entries: Entry[] = structuredClone(live?.metadata?.managedFields ?? []);
  const mine = fieldPaths(applied);
  const mineKeys = new Set(mine.map(key));
  const ownedBy = new Map<string, string[]>();
  for (const e of entries) {
    if (e.manager === manager && e.operation === 'Apply') continue;
    for (const p of fromFieldsV1(e.fieldsV1)) ownedBy.set(key(p), [...(ownedBy.get(key(p)) ?? []), e.manager]);
  }
  const next: Obj = structuredClone(live ?? { apiVersion: applied.apiVersion, kind: applied.kind, metadata: { name, ...(applied.metadata?.namespace ? { namespace: applied.metadata.namespace } : {}) } });
  // What this manager applied before and no longer names, owned by nobody else: removed.
  const before = entries.find((e) => e.manager === manager && e.operation === 'Apply');
  for (const p of fromFieldsV1(before?.fieldsV1)) if (!mineKeys.has(key(p)) && !ownedBy.has(key(p))) removeAt(next, p);
  for (const p of mine) setAt(next, p, valueAt(applied, p));
  const stored = live ? normalize(next) : next;
  const conflicts: { path: Path; managers: string[] }[] = [];
  for (const p of mine) {
    const others = ownedBy.get(key(p));
    if (others?.length && live && !isDeepStrictEqual(valueAt(live, p), valueAt(stored, p))) conflicts.push({ path: p, managers: others });
  }
  if (conflicts.length && !force) {
    const causes = conflicts.flatMap((c) => c.managers.map((m) => ({ reason: 'FieldManagerConflict', message: `conflict with "${m}" using ${apiVersion}`, field: dotted(c.path) })));
    const n = causes.length;
    const message = n === 1
      ? `Apply failed with 1 conflict: ${causes[0]!.message}: ${causes[0]!.field}`
      : `Apply failed with ${n} conflicts: ${causes.map((c) => `${c.message}: ${c.field}`).join('; ')}`;
    throw new ApiError(409, 'Conflict', message, { name, group, kind: resource, causes });
  }
  // Forced: the fields change hands.
  const taken = new Set(conflicts.map((c) => key(c.path)));
  const kept: Entry[] = [];
  for (const e of entries) {
    if (e.manager === manager && e.operation === 'Apply') continue;
    const left = fromFieldsV1(e.fieldsV1).filter((p) => !taken.has(key(p)));
    if (left.length) kept.push({ ...e, fieldsV1: toFieldsV1(left) });
  }
  const fieldsV1 = toFieldsV1(mine);
  // The same fields applied again keep their time: a no-op apply writes nothing.
  const time = before && isDeepStrictEqual(before.fieldsV1, fieldsV1) && isDeepStrictEqual(live && normalize(next).spec, live?.spec) ? before.time : now;
  kept.push({ manager, operation: 'Apply', apiVersion, time, fieldsType: 'FieldsV1', fieldsV1 });
  next.metadata.managedFields = kept;
  return next;
}
