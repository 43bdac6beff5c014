// The API server's admission caller: on create and update, every MutatingWebhookConfiguration's
// matching webhooks (by name order; their JSON patches applied), then every validating one, called
// as a real API server calls them — AdmissionReview v1 over HTTPS verified against the
// configuration's caBundle, within its timeoutSeconds, rules/namespaceSelector/objectSelector
// matched, failurePolicy honoured, denials and warnings carried back the way kube-apiserver words them.
import { randomUUID } from 'node:crypto';
import { request } from 'node:https';
import jsonpatch from 'fast-json-patch';
import type { AdmissionAttributes, Admit, Rest } from './rest.js';
import { labelSelector } from './select.js';
import { ApiError, type Obj } from './status.js';

/** Where a webhook's `service` reference is reached in the test (a base URL such as https://127.0.0.1:8443). */
export type ServiceResolver = (service: { namespace: string; name: string; port: number }) => string;

const wild = (list: string[] | undefined, v: string) => !list || list.includes('*') || list.includes(v);

function resourceMatches(rules: string[] | undefined, resource: string, sub: string): boolean {
  return (rules ?? []).some((r) => {
    const [res, s] = r.split('/');
    if (res !== '*' && res !== resource) return false;
    return s === undefined ? sub === '' : s === '*' || s === sub;
  });
}

/** matchLabels + matchExpressions as a predicate over a labels map. */
function selectorMatches(sel: Obj | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  const terms: string[] = Object.entries<string>(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') terms.push(`${e.key} in (${e.values.join(',')})`);
    else if (e.operator === 'NotIn') terms.push(`${e.key} notin (${e.values.join(',')})`);
    else if (e.operator === 'Exists') terms.push(e.key);
    else if (e.operator === 'DoesNotExist') terms.push(`!${e.key}`);
  }
  return terms.length === 0 || labelSelector(terms.join(',' ))({ metadata: { labels } });
}

function matches(rest: Rest, hook: Obj, a: AdmissionAttributes): boolean {
  const ruleOk = (hook.rules ?? []).some(
    (r: Obj) =>
      wild(r.operations, a.operation) &&
      wild(r.apiGroups, a.type.group) &&
      wild(r.apiVersions, a.type.version) &&
      resourceMatches(r.resources, a.type.resource, a.subresource) &&
      (!r.scope || r.scope === '*' || (r.scope === 'Namespaced') === a.type.namespaced),
  );
  if (!ruleOk) return false;
  const labels = a.object.metadata?.labels ?? a.oldObject?.metadata?.labels ?? {};
  if (!selectorMatches(hook.objectSelector, labels)) return false;
  if (a.type.namespaced) {
    const ns = rest.store.get('/namespaces', a.namespace);
    if (!selectorMatches(hook.namespaceSelector, ns?.metadata?.labels ?? {})) return false;
  }
  return true;
}

function review(a: AdmissionAttributes, object: Obj): Obj {
  const t = a.type;
  const kind = { group: t.group, version: t.version, kind: t.kind };
  const resource = { group: t.group, version: t.version, resource: t.resource };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind,
      resource,
      ...(a.subresource ? { subResource: a.subresource } : {}),
      requestKind: kind,
      requestResource: resource,
      ...(a.subresource ? { requestSubResource: a.subresource } : {}),
      name: a.name,
      ...(t.namespaced ? { namespace: a.namespace } : {}),
      operation: a.operation,
      userInfo: { username: a.user, groups: ['system:authenticated'] },
      object,
      oldObject: a.oldObject ?? null,
      dryRun: a.dryRun,
      options: { kind: a.operation === 'CREATE' ? 'CreateOptions' : 'UpdateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  };
}

function post(url: URL, body: string, ca: string | undefined, timeoutMs: number): Promise<Obj> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': Buffer.byteLength(body) }, ca, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`the server responded with status code ${res.statusCode}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (e) {
            reject(new Error(`failed to decode the webhook's response: ${(e as Error).message}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('context deadline exceeded (Client.Timeout exceeded while awaiting headers)')));
    req.on('error', reject);
    req.end(body);
  });
}

async function call(hook: Obj, a: AdmissionAttributes, object: Obj, resolve: ServiceResolver | undefined): Promise<Obj | undefined> {
  const cc = hook.clientConfig ?? {};
  let url: URL;
  if (cc.url) url = new URL(cc.url);
  else if (cc.service && resolve) url = new URL(cc.service.path ?? '/', resolve({ namespace: cc.service.namespace, name: cc.service.name, port: cc.service.port ?? 443 }));
  else throw new Error(`no way to reach service ${cc.service?.namespace}/${cc.service?.name}`);
  const rev = review(a, object);
  const ca = cc.caBundle ? Buffer.from(cc.caBundle, 'base64').toString('utf8') : undefined;
  const answer = await post(url, JSON.stringify(rev), ca, (hook.timeoutSeconds ?? 10) * 1000);
  if (answer.apiVersion !== 'admission.k8s.io/v1' || answer.kind !== 'AdmissionReview') throw new Error(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${answer.apiVersion}, Kind=${answer.kind}`);
  const response = answer.response;
  if (!response) throw new Error('webhook response was absent');
  if (response.uid !== rev.request.uid) throw new Error(`expected response.uid="${rev.request.uid}", got "${response.uid}"`);
  return response;
}

function denial(name: string, status: Obj | undefined): ApiError {
  const by = `admission webhook "${name}" denied the request`;
  const s = status ?? {};
  const code = (s.code ?? 0) < 400 ? 400 : s.code;
  const message = s.message ? `${by}: ${s.message}` : s.reason ? `${by}: ${s.reason}` : `${by} without explanation`;
  return new ApiError(code, s.reason ?? '', message, s.details);
}

export function makeAdmission(rest: Rest, resolve?: ServiceResolver): Admit {
  return async (a) => {
    let object = a.object;
    const warnings: string[] = [];
    if (a.type.group === 'admissionregistration.k8s.io') return { object, warnings };
    for (const mutating of [true, false]) {
      const bucket = `admissionregistration.k8s.io/${mutating ? 'mutating' : 'validating'}webhookconfigurations`;
      for (const config of rest.store.list(bucket)) {
        for (const hook of config.webhooks ?? []) {
          if (!matches(rest, hook, a)) continue;
          let response: Obj | undefined;
          try {
            response = await call(hook, { ...a, object }, object, resolve);
          } catch (e) {
            if (hook.failurePolicy === 'Ignore') continue;
            throw new ApiError(500, 'InternalError', `Internal error occurred: failed calling webhook "${hook.name}": failed to call webhook: ${(e as Error).message}`);
          }
          warnings.push(...(response?.warnings ?? []));
          if (!response?.allowed) throw denial(hook.name, response?.status);
          if (mutating && response.patch) {
            if (response.patchType !== 'JSONPatch') throw new ApiError(500, 'InternalError', `Internal error occurred: unsupported patch type "${response.patchType}"`);
            const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
            object = jsonpatch.applyPatch(structuredClone(object), ops, true, false).newDocument;
          }
        }
      }
    }
    return { object, warnings };
  };
}
