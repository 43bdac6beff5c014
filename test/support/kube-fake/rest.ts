// What the API server does to objects: create (names, uid, generation, namespace must exist),
// update (optimistic concurrency, status subresource split, generation on spec change only, no-op
// writes skipped), patch, delete (finalizers and deletionTimestamp; the last finalizer removed
// deletes), with schema defaulting/pruning/validation for custom resources and admission webhooks
// on create and update. HTTP lives in server.ts; this module only speaks objects and ApiErrors.
import { randomBytes, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { serverSideApply } from './apply.js';
import { applyPatch } from './patch.js';
import { groupVersion, Types, type ResourceType } from './resources.js';
import { checkCustomResource } from './schema.js';
import { ApiError, alreadyExists, badRequest, conflict, invalid, notFound, qualified, type Obj } from './status.js';
import { objectKey, Store } from './store.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

/** One write seen by admission: what a real API server puts in an AdmissionReview request. */
export interface AdmissionAttributes {
  operation: Operation;
  type: ResourceType;
  subresource: string;
  namespace: string;
  name: string;
  object: Obj;
  oldObject: Obj | undefined;
  user: string;
  dryRun: boolean;
}

/** Runs the mutating then validating webhooks; returns the (possibly mutated) object or throws. */
export type Admit = (a: AdmissionAttributes) => Promise<{ object: Obj; warnings: string[] }>;

export interface WriteOptions {
  dryRun: boolean;
  user: string;
  /** What to do with fields the schema does not know (the fieldValidation query parameter). */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /** The fieldManager and force query parameters (server-side apply). */
  fieldManager?: string;
  force?: boolean;
}

export interface WriteResult {
  object: Obj;
  code: number;
  warnings: string[];
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export class Rest {
  admit: Admit | undefined;

  constructor(
    readonly store: Store,
    readonly types: Types,
  ) {}

  get(t: ResourceType, ns: string, name: string): Obj {
    const o = this.store.get(Types.bucket(t), objectKey(t.namespaced ? ns : undefined, name));
    if (!o) throw notFound(t.resource, t.group, t.kind, name);
    return this.asVersion(t, o);
  }

  /** Objects are stored in the version they were written in; served in the version asked. */
  asVersion(t: ResourceType, o: Obj): Obj {
    o.apiVersion = groupVersion(t);
    o.kind = t.kind;
    return o;
  }

  private checkNamespace(t: ResourceType, ns: string): void {
    if (!t.namespaced) return;
    const nsType = this.types.find('', 'v1', 'namespaces')!;
    const space = this.store.get(Types.bucket(nsType), ns);
    if (!space) throw notFound('namespaces', '', 'Namespace', ns);
    if (space.metadata.deletionTimestamp)
      throw new ApiError(403, 'Forbidden', `${qualified(t.resource, t.group)} is forbidden: unable to create new content in namespace ${ns} because it is being terminated`);
  }

  async create(t: ResourceType, ns: string, body: Obj, opts: WriteOptions): Promise<WriteResult> {
    this.checkKind(t, body);
    const meta = (body.metadata ??= {});
    if (t.namespaced) {
      if (meta.namespace && meta.namespace !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      meta.namespace = ns;
    } else delete meta.namespace;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomBytes(3).toString('hex').slice(0, 5);
    if (!meta.name) throw invalid(t.kind, t.group, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
    if (!DNS_SUBDOMAIN.test(meta.name) || meta.name.length > 253)
      throw invalid(t.kind, t.group, meta.name, [{ field: 'metadata.name', message: `Invalid value: "${meta.name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character` }]);
    this.checkNamespace(t, ns);
    const key = objectKey(t.namespaced ? ns : undefined, meta.name);
    if (this.store.get(Types.bucket(t), key)) throw alreadyExists(t.resource, t.group, meta.name);
    meta.uid = randomUUID();
    meta.creationTimestamp = now();
    meta.generation = 1;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (t.hasStatus) delete body.status;
    if (t.kind === 'Pod') body.status = { phase: 'Pending' };
    if (t.kind === 'Namespace') body.status = { phase: 'Active' };
    const checked = this.checkSchema(t, body, opts);
    const admitted = await this.runAdmission({ operation: 'CREATE', type: t, subresource: '', namespace: ns, name: meta.name, object: checked.object, oldObject: undefined, ...opts });
    const object = this.checkSchema(t, admitted.object, opts).object;
    admitted.warnings.unshift(...checked.warnings);
    if (opts.dryRun) return { object, code: 201, warnings: admitted.warnings };
    const stored = this.store.write(Types.bucket(t), key, 'ADDED', object);
    this.afterWrite(t, stored, false);
    return { object: stored, code: 201, warnings: admitted.warnings };
  }

  /** PUT on the object or its /status; `requireRv` is false for patches (which carry the old one). */
  async update(t: ResourceType, ns: string, name: string, sub: string, body: Obj, opts: WriteOptions, requireRv = true): Promise<WriteResult> {
    this.checkKind(t, body);
    const old = this.get(t, ns, name);
    const meta = (body.metadata ??= {});
    if (meta.name !== undefined && meta.name !== name) throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    if (t.namespaced && meta.namespace && meta.namespace !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    if (meta.resourceVersion === undefined || meta.resourceVersion === '') {
      if (requireRv && !t.strategic) throw invalid(t.kind, t.group, name, [{ field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' }]);
    } else if (meta.resourceVersion !== old.metadata.resourceVersion) throw conflict(t.resource, t.group, name);

    let next: Obj;
    if (sub === 'status') {
      next = { ...structuredClone(old), status: body.status };
      if (body.status === undefined) delete next.status;
    } else {
      next = structuredClone(body);
      if (t.hasStatus) {
        if (old.status === undefined) delete next.status;
        else next.status = old.status;
      }
      const m = next.metadata;
      // A write that does not send managedFields keeps them (as the API server does).
      if (m.managedFields === undefined && old.metadata.managedFields !== undefined) m.managedFields = old.metadata.managedFields;
      for (const f of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'namespace', 'name']) {
        if (old.metadata[f] === undefined) delete m[f];
        else m[f] = old.metadata[f];
      }
      if (old.metadata.deletionTimestamp) {
        const added = (m.finalizers ?? []).filter((f: string) => !(old.metadata.finalizers ?? []).includes(f));
        if (added.length)
          throw invalid(t.kind, t.group, name, [{ field: 'metadata.finalizers', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f: string) => `"${f}"`).join(', ')}}` }]);
      }
      if (!isDeepStrictEqual(specOf(old), specOf(next))) m.generation = (old.metadata.generation ?? 0) + 1;
    }
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    const checked = this.checkSchema(t, next, sub === 'status' ? { ...opts, fieldValidation: 'Ignore' } : opts);
    const admitted = await this.runAdmission({ operation: 'UPDATE', type: t, subresource: sub, namespace: ns, name, object: checked.object, oldObject: old, ...opts });
    const object = this.checkSchema(t, admitted.object, opts).object;
    admitted.warnings.unshift(...checked.warnings);
    if (isDeepStrictEqual(object, old)) return { object: old, code: 200, warnings: admitted.warnings };
    if (opts.dryRun) return { object, code: 200, warnings: admitted.warnings };
    const key = objectKey(t.namespaced ? ns : undefined, name);
    const gone = object.metadata.deletionTimestamp && !(object.metadata.finalizers ?? []).length;
    const stored = this.store.write(Types.bucket(t), key, gone ? 'DELETED' : 'MODIFIED', object);
    this.afterWrite(t, stored, gone);
    return { object: stored, code: 200, warnings: admitted.warnings };
  }

  async patch(t: ResourceType, ns: string, name: string, sub: string, contentType: string, body: unknown, opts: WriteOptions): Promise<WriteResult> {
    if (contentType.split(';')[0]!.trim() === 'application/apply-patch+yaml') return this.apply(t, ns, name, sub, body, opts);
    const old = this.get(t, ns, name);
    const patched = applyPatch(contentType, old, body, t.strategic);
    if (typeof patched !== 'object' || patched === null || Array.isArray(patched)) throw badRequest('the patch did not produce an object');
    return this.update(t, ns, name, sub, patched, opts, false);
  }

  /** Server-side apply (apply.ts): creates the object when absent. */
  private async apply(t: ResourceType, ns: string, name: string, sub: string, body: unknown, opts: WriteOptions): Promise<WriteResult> {
    if (!opts.fieldManager) throw invalid('PatchOptions', 'meta.k8s.io', '', [{ field: 'fieldManager', message: 'Required value: is required for apply patch' }]);
    if (sub) throw badRequest('server-side apply of a subresource is not supported by this fake');
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the applied configuration must be an object');
    this.checkKind(t, body as Obj);
    const applied = body as Obj;
    if (applied.metadata?.name !== undefined && applied.metadata.name !== name) throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
    let live: Obj | undefined;
    try {
      live = this.get(t, ns, name);
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 404) throw e;
    }
    const normalize = (o: Obj) => this.checkSchema(t, structuredClone(o), { ...opts, fieldValidation: 'Ignore' }).object;
    const next = serverSideApply(live, applied, opts.fieldManager, opts.force === true, now(), { group: t.group, resource: t.resource, name }, normalize);
    if (!live) {
      if (t.namespaced) next.metadata.namespace = ns;
      return this.create(t, ns, next, opts);
    }
    // Stored as the schema leaves it, so that an apply of what is already there changes nothing.
    return this.update(t, ns, name, '', normalize(next), opts, false);
  }

  delete(t: ResourceType, ns: string, name: string, options: Obj, opts: WriteOptions): WriteResult {
    const old = this.get(t, ns, name);
    const pre = options.preconditions ?? {};
    if ((pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) || (pre.uid && pre.uid !== old.metadata.uid)) {
      throw conflict(t.resource, t.group, name);
    }
    const key = objectKey(t.namespaced ? ns : undefined, name);
    const finalizers = [...(old.metadata.finalizers ?? []), ...(t.kind === 'Namespace' ? (old.spec?.finalizers ?? []) : [])];
    if (finalizers.length || t.kind === 'Namespace') {
      if (old.metadata.deletionTimestamp) return { object: old, code: 202, warnings: [] };
      const marked = structuredClone(old);
      marked.metadata.deletionTimestamp = now();
      marked.metadata.deletionGracePeriodSeconds = 0;
      if (t.kind === 'Namespace') marked.status = { phase: 'Terminating' };
      if (opts.dryRun) return { object: marked, code: 202, warnings: [] };
      const stored = this.store.write(Types.bucket(t), key, 'MODIFIED', marked);
      if (t.kind === 'Namespace') this.emptyNamespace(name, opts);
      return { object: stored, code: 202, warnings: [] };
    }
    if (opts.dryRun) return { object: old, code: 200, warnings: [] };
    const stored = this.store.write(Types.bucket(t), key, 'DELETED', old);
    this.afterWrite(t, stored, true);
    return { object: stored, code: 200, warnings: [] };
  }

  /** The namespace controller's job, done at once: delete the content, then the namespace once empty. */
  private emptyNamespace(ns: string, opts: WriteOptions): void {
    for (const t of this.namespacedKinds()) {
      for (const o of this.store.list(Types.bucket(t))) if (o.metadata.namespace === ns) this.delete(t, ns, o.metadata.name, {}, opts);
    }
    this.finishNamespace(ns);
  }

  /** One served version of each namespaced kind (objects are stored per group/resource). */
  private namespacedKinds(): ResourceType[] {
    const byBucket = new Map<string, ResourceType>();
    for (const t of this.types.all()) if (t.namespaced && !byBucket.has(Types.bucket(t))) byBucket.set(Types.bucket(t), t);
    return [...byBucket.values()];
  }

  private finishNamespace(ns: string): void {
    const nsType = this.types.find('', 'v1', 'namespaces')!;
    const space = this.store.get(Types.bucket(nsType), ns);
    if (!space?.metadata.deletionTimestamp) return;
    const left = this.namespacedKinds().some((t) => this.store.list(Types.bucket(t)).some((o) => o.metadata.namespace === ns));
    if (!left) this.store.write(Types.bucket(nsType), ns, 'DELETED', space);
  }

  /** CRDs register their kinds; a deleted namespaced object may let its terminating namespace go. */
  private afterWrite(t: ResourceType, stored: Obj, gone: boolean): void {
    if (t.kind === 'CustomResourceDefinition') {
      if (gone) {
        this.types.dropCrd(stored);
        for (const o of this.store.list(`${stored.spec.group}/${stored.spec.names.plural}`)) {
          this.store.write(`${stored.spec.group}/${stored.spec.names.plural}`, objectKey(o.metadata.namespace, o.metadata.name), 'DELETED', o);
        }
      } else this.types.setCrd(stored);
    }
    if (gone && t.namespaced) this.finishNamespace(stored.metadata.namespace);
  }

  private checkKind(t: ResourceType, body: Obj): void {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body of the request must be an object');
    if (body.kind !== undefined && body.kind !== t.kind)
      throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${groupVersion(t)})`);
    if (body.apiVersion !== undefined && body.apiVersion !== groupVersion(t))
      throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${groupVersion(t)})`);
    body.apiVersion = groupVersion(t);
    body.kind = t.kind;
  }

  /** Custom resources through their schema; unknown fields refused, warned about or dropped per fieldValidation. */
  private checkSchema(t: ResourceType, o: Obj, opts: WriteOptions): { object: Obj; warnings: string[] } {
    if (!t.schema) return { object: o, warnings: [] };
    const { object, unknown } = checkCustomResource(t, o);
    if (unknown.length && opts.fieldValidation === 'Strict')
      throw badRequest(`${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
    return { object, warnings: opts.fieldValidation === 'Warn' ? unknown.map((f) => `unknown field "${f}"`) : [] };
  }

  private runAdmission(a: AdmissionAttributes): Promise<{ object: Obj; warnings: string[] }> {
    return this.admit ? this.admit(a) : Promise.resolve({ object: a.object, warnings: [] });
  }
}

/** What bumps metadata.generation: everything but metadata and status. */
function specOf(o: Obj): Obj {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}
