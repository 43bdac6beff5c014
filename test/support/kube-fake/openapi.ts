// The OpenAPI v3 documents kubectl downloads: the index (/openapi/v3) and one document per
// group/version with each kind's schema (the CRD's own for custom resources, an open object for
// built-ins) and its paths, whose PATCH operations declare the fieldValidation query parameter and
// the patch content types the server accepts — kubectl reads them to decide on server-side field
// validation and on the patch type of `kubectl apply`. /openapi/v2 (protobuf only in client-go)
// answers a valid document with no definitions: kubectl's client-side validation, which it uses
// only for `kind: List` files, then finds no schema and checks nothing (the server still does).
import { createHash } from 'node:crypto';
import type { ResourceType } from './resources.js';
import type { Obj } from './status.js';

const gvPath = (t: ResourceType) => (t.group ? `apis/${t.group}/${t.version}` : `api/${t.version}`);

function documentOf(types: ResourceType[]): Obj {
  const paths: Obj = {};
  const schemas: Obj = {};
  for (const t of types) {
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const schemaName = `${t.group ? t.group.split('.').reverse().join('.') : 'io.k8s.api.core'}.${t.version}.${t.kind}`;
    schemas[schemaName] = { ...(t.schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }), 'x-kubernetes-group-version-kind': [gvk] };
    const ref = { $ref: `#/components/schemas/${schemaName}` };
    const content = (types: string[]) => Object.fromEntries(types.map((c) => [c, { schema: ref }]));
    const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml', ...(t.strategic ? ['application/strategic-merge-patch+json'] : [])];
    const op = (verb: string, bodyTypes?: string[]) => ({
      operationId: `${verb}${t.kind}`,
      'x-kubernetes-action': verb,
      'x-kubernetes-group-version-kind': gvk,
      parameters: [
        { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
        { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
        { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
      ],
      ...(bodyTypes ? { requestBody: { content: content(bodyTypes), required: true } } : {}),
      responses: { '200': { description: 'OK', content: content(['application/json']) } },
    });
    const base = `/${gvPath(t)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.resource}`;
    paths[base] = { get: op('list'), post: op('post', ['application/json']) };
    paths[`${base}/{name}`] = { get: op('get'), put: op('put', ['application/json']), patch: op('patch', patchTypes), delete: op('delete') };
    if (t.hasStatus) paths[`${base}/{name}/status`] = { get: op('get'), put: op('put', ['application/json']), patch: op('patch', patchTypes) };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas } };
}

const hash = (doc: Obj) => createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 32).toUpperCase();

/** The answer for /openapi/v3 and /openapi/v3/{api/v1|apis/group/version}, or undefined for unknown paths. */
export function openapiV3(types: ResourceType[], rel: string): Obj | undefined {
  const byGv = new Map<string, ResourceType[]>();
  for (const t of types) byGv.set(gvPath(t), [...(byGv.get(gvPath(t)) ?? []), t]);
  if (rel === '') {
    return { paths: Object.fromEntries([...byGv].map(([p, ts]) => [p, { serverRelativeURL: `/openapi/v3/${p}?hash=${hash(documentOf(ts))}` }])) };
  }
  const of = byGv.get(rel);
  return of && documentOf(of);
}

/** A gnostic openapi_v2.Document in protobuf: swagger "2.0", info {title, version}, nothing else. */
export function openapiV2Protobuf(): Buffer {
  const str = (field: number, text: string) => {
    const b = Buffer.from(text, 'utf8');
    return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
  };
  const info = Buffer.concat([str(1, 'Kubernetes'), str(2, 'v1.32.0')]);
  return Buffer.concat([str(1, '2.0'), Buffer.from([(2 << 3) | 2, info.length]), info]);
}
