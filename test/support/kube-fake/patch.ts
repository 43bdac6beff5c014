// The three patch types the API server takes on its main resources: JSON merge patch (RFC 7386),
// JSON patch (RFC 6902, through fast-json-patch) and strategic merge patch — the latter for the
// built-in kinds only, with the merge keys of the fields clients patch (containers, env, ports,
// volumes, conditions, ownerReferences, finalizers) and the $patch / $deleteFromPrimitiveList
// directives kubectl sends. Custom resources refuse strategic merge (415), as a real server does.
import jsonpatch from 'fast-json-patch';
import { ApiError, badRequest, type Obj } from './status.js';

const isMap = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return structuredClone(patch);
  const out: Obj = isMap(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export function jsonPatch(target: Obj, patch: unknown): Obj {
  if (!Array.isArray(patch)) throw badRequest('the JSON patch must be an array of operations');
  try {
    return jsonpatch.applyPatch(structuredClone(target), patch as jsonpatch.Operation[], true, false).newDocument;
  } catch (e) {
    const err = e as { name?: string; message: string };
    if (err.name === 'TEST_OPERATION_FAILED') throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value failed`);
    throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${err.message.split('\n')[0]}`);
  }
}

/** Merge keys of the object lists strategic merge merges by key (patchMergeKey in the Go types). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  conditions: 'type',
  ownerReferences: 'uid',
  imagePullSecrets: 'name',
  tolerations: 'key',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
};
/** Lists of scalars strategic merge treats as sets (patchStrategy merge). */
const MERGE_SETS = new Set(['finalizers']);

export function strategicMerge(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return structuredClone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Obj = isMap(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/') || k === '$retainKeys') continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]) && Array.isArray(v)) out[field] = out[field].filter((x: unknown) => !v.includes(x));
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v) && MERGE_KEYS[k] && Array.isArray(out[k])) out[k] = mergeList(out[k], v, MERGE_KEYS[k]);
    else if (Array.isArray(v) && MERGE_SETS.has(k) && Array.isArray(out[k])) out[k] = [...out[k], ...v.filter((x) => !out[k].includes(x))];
    else if (isMap(v)) {
      const merged = strategicMerge(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else out[k] = structuredClone(v);
  }
  return out;
}

function mergeList(current: Obj[], patch: Obj[], key: string): Obj[] {
  const out = structuredClone(current);
  for (const item of patch) {
    if (!isMap(item)) continue;
    const at = out.findIndex((o) => isMap(o) && o[key] === item[key]);
    if (item.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
    } else if (at >= 0) out[at] = strategicMerge(out[at], item) as Obj;
    else out.push(strategicMerge({}, item) as Obj);
  }
  return out;
}

/** Applies a PATCH body by its Content-Type. */
export function applyPatch(contentType: string, current: Obj, body: unknown, strategicAllowed: boolean): Obj {
  const type = contentType.split(';')[0].trim();
  switch (type) {
    case 'application/merge-patch+json':
      return mergePatch(current, body) as Obj;
    case 'application/json-patch+json':
      return jsonPatch(current, body);
    case 'application/strategic-merge-patch+json':
      if (!strategicAllowed) throw new ApiError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
      return strategicMerge(current, body) as Obj;
    default:
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
  }
}
