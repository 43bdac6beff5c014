// The HTTP face of the fake: bearer-token authentication, discovery, the REST paths of every served
// kind (list with limit/continue and selectors, watch, get, create, update, patch, delete, delete
// collection, the status subresource), Status bodies for errors, Warning headers from admission,
// and an audit record per request for the tests to read.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { URL } from 'node:url';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, groupVersion, Types, type ResourceType } from './resources.js';
import type { Rest, WriteOptions } from './rest.js';
import { openapiV2Protobuf, openapiV3 } from './openapi.js';
import { fieldSelector, labelSelector } from './select.js';
import { ApiError, badRequest, errorStatus, expired, statusObject, type Obj } from './status.js';
import type { Store } from './store.js';
import { toTable, wantsTable } from './table.js';
import { serveWatch } from './watch.js';
import { parse as parseYaml } from 'yaml';

export interface AuditRecord {
  time: string;
  user: string;
  verb: string;
  method: string;
  path: string;
  query: string;
  group: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  code: number;
  contentType: string;
  userAgent: string;
}

export interface HandlerOptions {
  /** Bearer tokens accepted, mapped to the user name they authenticate. */
  tokens: Map<string, string>;
  bookmarkIntervalMs: number;
  audit: AuditRecord[];
}

interface Target {
  type: ResourceType;
  namespace: string;
  name: string;
  subresource: string;
}

function send(res: ServerResponse, code: number, body: Obj, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(code, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const type = String(req.headers['content-type'] ?? 'application/json').split(';')[0].trim();
  if (type !== 'application/json' && type !== 'application/apply-patch+yaml' && !/^application\/[a-z-]+-patch\+json$/.test(type)) {
    req.resume();
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
  }
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return undefined;
  try {
    // An applied configuration is YAML (kubectl sends JSON, which YAML reads too).
    return type === 'application/apply-patch+yaml' ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw badRequest(`the object provided is unrecognized (must be of type JSON): ${(e as Error).message}`);
  }
}

/** Splits a REST path into its kind, namespace, name and subresource, or undefined for other paths. */
function route(types: Types, segs: string[]): Target | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') [group, version, rest] = ['', segs[1], segs.slice(2)];
  else if (segs[0] === 'apis') [group, version, rest] = [segs[1], segs[2], segs.slice(3)];
  else return undefined;
  if (!version || rest.length === 0) return undefined;
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const t = types.find(group, version, rest[2]);
    if (t?.namespaced) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  const type = types.find(group, version, rest[0]);
  if (!type || rest.length > 3) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  return { type, namespace, name: rest[1] ?? '', subresource: rest[2] ?? '' };
}

function verbOf(method: string, t: Target | undefined, watch: boolean): string {
  if (!t) return method.toLowerCase();
  switch (method) {
    case 'GET':
      return t.name ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return t.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** The continue token: the list's snapshot resourceVersion and the last key served. */
const encodeContinue = (rv: number, after: string) => Buffer.from(JSON.stringify({ rv, after })).toString('base64url');
function decodeContinue(token: string): { rv: number; after: string } {
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof c.rv === 'number' && typeof c.after === 'string') return c;
  } catch {
    /* falls through */
  }
  throw badRequest('invalid continue token');
}

export function makeHandler(store: Store, rest: Rest, opts: HandlerOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://fake');
    const q = url.searchParams;
    const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const watch = q.get('watch') === 'true' || q.get('watch') === '1';
    const record: AuditRecord = {
      time: new Date().toISOString(),
      user: '',
      verb: req.method?.toLowerCase() ?? '',
      method: req.method ?? '',
      path: url.pathname,
      query: url.search,
      group: '',
      resource: '',
      subresource: '',
      namespace: '',
      name: '',
      code: 0,
      contentType: String(req.headers['content-type'] ?? '').split(';')[0],
      userAgent: String(req.headers['user-agent'] ?? ''),
    };
    opts.audit.push(record);
    res.on('finish', () => (record.code = res.statusCode));
    res.on('close', () => (record.code ||= res.statusCode));
    try {
      const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
      const user = auth ? opts.tokens.get(auth[1]) : undefined;
      if (!user) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      record.user = user;
      if (await discovery(rest.types, segs, req, res)) return;
      const target = route(rest.types, segs);
      if (!target) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      Object.assign(record, {
        verb: verbOf(req.method ?? '', target, watch),
        group: target.type.group,
        resource: target.type.resource,
        subresource: target.subresource,
        namespace: target.namespace,
        name: target.name,
      });
      await serveResource(target, record.verb, req, res, q, user);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
      if (!res.headersSent) send(res, err.code, errorStatus(err));
      else res.end();
    }
  };

  async function serveResource(target: Target, verb: string, req: IncomingMessage, res: ServerResponse, q: URLSearchParams, user: string): Promise<void> {
    const { type: t, namespace: ns, name, subresource: sub } = target;
    if (sub && (sub !== 'status' || !t.hasStatus)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (t.namespaced && !ns && name) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const validation = q.get('fieldValidation');
    const write: WriteOptions = {
      dryRun: q.getAll('dryRun').includes('All'),
      user,
      fieldValidation: validation === 'Strict' || validation === 'Warn' || validation === 'Ignore' ? validation : 'Warn',
      ...(q.get('fieldManager') ? { fieldManager: q.get('fieldManager')! } : {}),
      force: q.get('force') === 'true',
    };
    const table = wantsTable(req.headers.accept);
    const render = (o: Obj) => (table ? toTable(t, [o], {}) : o);
    switch (verb) {
      case 'get':
        return send(res, 200, render(rest.get(t, ns, name)));
      case 'list':
        return list(t, ns, q, res, table);
      case 'watch': {
        const matches = selection(t, ns, q);
        const timeout = q.get('timeoutSeconds');
        return serveWatch(
          store,
          {
            type: t,
            matches,
            resourceVersion: q.get('resourceVersion') ?? '',
            bookmarks: q.get('allowWatchBookmarks') === 'true',
            bookmarkIntervalMs: opts.bookmarkIntervalMs,
            timeoutSeconds: timeout ? Number(timeout) : undefined,
            render: (o) => (table ? toTable(t, [o], {}) : o),
          },
          res,
        );
      }
      case 'create': {
        if (name) throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        const r = await rest.create(t, ns, (await readBody(req)) as Obj, write);
        return send(res, r.code, r.object, warningHeaders(r.warnings));
      }
      case 'update': {
        const r = await rest.update(t, ns, name, sub, (await readBody(req)) as Obj, write);
        return send(res, r.code, r.object, warningHeaders(r.warnings));
      }
      case 'patch': {
        const r = await rest.patch(t, ns, name, sub, String(req.headers['content-type'] ?? ''), await readBody(req), write);
        return send(res, r.code, r.object, warningHeaders(r.warnings));
      }
      case 'delete': {
        const r = rest.delete(t, ns, name, ((await readBody(req)) as Obj) ?? {}, write);
        return send(res, r.code, r.object);
      }
      case 'deletecollection': {
        const options = ((await readBody(req)) as Obj) ?? {};
        const matches = selection(t, ns, q);
        const items = store.list(Types.bucket(t)).filter(matches).map((o) => rest.delete(t, o.metadata.namespace ?? '', o.metadata.name, options, write).object);
        return send(res, 200, { kind: t.listKind, apiVersion: groupVersion(t), metadata: { resourceVersion: String(store.resourceVersion) }, items });
      }
      default:
        throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    }
  }

  function selection(t: ResourceType, ns: string, q: URLSearchParams) {
    const labels = labelSelector(q.get('labelSelector'));
    const fields = fieldSelector(q.get('fieldSelector'), t.fieldLabels);
    return (o: Obj) => (!ns || o.metadata?.namespace === ns) && labels(o) && fields(o);
  }

  function list(t: ResourceType, ns: string, q: URLSearchParams, res: ServerResponse, table: boolean): void {
    const matches = selection(t, ns, q);
    const rvParam = q.get('resourceVersion') ?? '';
    const match = q.get('resourceVersionMatch') ?? '';
    const cont = q.get('continue');
    let limit = Number(q.get('limit') ?? 0) || 0;
    let snapshot = store.resourceVersion;
    let after = '';
    if (cont) {
      if (rvParam) throw badRequest('specifying resource version is not allowed when using continue');
      ({ rv: snapshot, after } = decodeContinue(cont));
      if (snapshot < store.compactedRevision)
        throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
    } else if (rvParam && rvParam !== '0') {
      const asked = Number(rvParam);
      if (!Number.isInteger(asked)) throw badRequest(`invalid resource version: ${rvParam}`);
      if (match === 'Exact') snapshot = asked;
      else if (asked > store.resourceVersion)
        throw new ApiError(504, 'Timeout', `Too large resource version: ${asked}, current: ${store.resourceVersion}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
    } else if (rvParam === '0') limit = 0; // served from the watch cache, which ignores limit
    const bucket = Types.bucket(t);
    const all = (snapshot === store.resourceVersion ? store.list(bucket) : store.listAt(bucket, snapshot)).filter((o) => {
      const key = t.namespaced ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
      return key > after;
    });
    const selected = all.filter(matches);
    const page = limit > 0 ? selected.slice(0, limit) : selected;
    const meta: Obj = { resourceVersion: String(snapshot) };
    if (limit > 0 && selected.length > limit) {
      const last = page[page.length - 1].metadata;
      meta.continue = encodeContinue(snapshot, t.namespaced ? `${last.namespace}/${last.name}` : last.name);
      meta.remainingItemCount = selected.length - limit;
    }
    const items = page.map((o) => rest.asVersion(t, o));
    if (table) return send(res, 200, toTable(t, items, meta));
    send(res, 200, { kind: t.listKind, apiVersion: groupVersion(t), metadata: meta, items });
  }
}

/** Warning headers as kube-apiserver writes them: `299 - "text"`, the text's UTF-8 bytes as they are. */
function warningHeaders(warnings: string[]): Record<string, string[]> {
  return warnings.length ? { Warning: warnings.map((w) => Buffer.from(`299 - ${JSON.stringify(w)}`, 'utf8').toString('latin1')) } : {};
}

/** Discovery and the server's own endpoints; true when the path was one of them. */
async function discovery(types: Types, segs: string[], req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (req.method !== 'GET') return false;
  const all = types.all();
  const path = segs.join('/');
  if (path === 'version') {
    send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0-nftlens-fake', gitCommit: '', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.23', compiler: 'gc', platform: 'linux/amd64' });
    return true;
  }
  if (path === 'healthz' || path === 'readyz' || path === 'livez') {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    return true;
  }
  if (path === 'api') return send(res, 200, apiVersions()), true;
  if (path === 'apis') return send(res, 200, apiGroupList(all)), true;
  if (path === 'api/v1') return send(res, 200, apiResourceList('v1', all.filter((t) => t.group === '' && t.version === 'v1'))), true;
  if (segs[0] === 'apis' && segs.length === 2) {
    const versions = [...new Set(all.filter((t) => t.group === segs[1]).map((t) => t.version))];
    if (!versions.length) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    return send(res, 200, apiGroup(segs[1], versions)), true;
  }
  if (segs[0] === 'apis' && segs.length === 3) {
    const of = all.filter((t) => t.group === segs[1] && t.version === segs[2]);
    if (!of.length) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    return send(res, 200, apiResourceList(`${segs[1]}/${segs[2]}`, of)), true;
  }
  if (path === 'openapi/v2') {
    res.writeHead(200, { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf' }).end(openapiV2Protobuf());
    return true;
  }
  if (segs[0] === 'openapi') {
    const doc = segs[1] === 'v3' ? openapiV3(all, segs.slice(2).join('/')) : undefined;
    if (doc) send(res, 200, doc);
    else send(res, 404, statusObject(404, 'NotFound', 'the server could not find the requested resource'));
    return true;
  }
  return false;
}
