// The kinds the fake serves, per group/version/resource: the built-in ones the tests need
// (namespaces, pods, CRDs, webhook configurations…) and every CustomResourceDefinition created
// through the API, which registers its kind as a real API server does. Discovery documents are
// built from this registry.
import type { Obj } from './status.js';

export interface ResourceType {
  group: string; // '' for the core group
  version: string;
  resource: string; // plural
  kind: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  hasStatus: boolean;
  /** Field labels accepted in fieldSelector beyond metadata.name/metadata.namespace. */
  fieldLabels: string[];
  /** The CRD's openAPIV3Schema (for validation, defaulting and pruning); undefined for built-ins. */
  schema?: Obj;
  printerColumns: { name: string; type: string; jsonPath: string; description?: string; priority?: number; format?: string }[];
  /** Kinds with strategic merge (built-ins); custom resources refuse it as a real server does. */
  strategic: boolean;
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function builtin(group: string, version: string, resource: string, kind: string, namespaced: boolean, extra: Partial<ResourceType> = {}): ResourceType {
  return {
    group,
    version,
    resource,
    kind,
    listKind: `${kind}List`,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames: [],
    categories: [],
    verbs: VERBS,
    hasStatus: false,
    fieldLabels: [],
    printerColumns: [],
    strategic: true,
    ...extra,
  };
}

export function builtinTypes(): ResourceType[] {
  return [
    builtin('', 'v1', 'namespaces', 'Namespace', false, { shortNames: ['ns'], hasStatus: true, fieldLabels: ['status.phase'] }),
    builtin('', 'v1', 'pods', 'Pod', true, { shortNames: ['po'], categories: ['all'], hasStatus: true, fieldLabels: ['spec.nodeName', 'status.phase', 'status.podIP'] }),
    builtin('', 'v1', 'nodes', 'Node', false, { shortNames: ['no'], hasStatus: true }),
    builtin('', 'v1', 'services', 'Service', true, { shortNames: ['svc'], categories: ['all'], hasStatus: true }),
    builtin('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
    builtin('', 'v1', 'secrets', 'Secret', true, { fieldLabels: ['type'] }),
    builtin('', 'v1', 'events', 'Event', true, {
      shortNames: ['ev'],
      // What the real server's table shows for `kubectl get events` (OBJECT there is kind/name).
      printerColumns: [
        { name: 'Last Seen', type: 'date', jsonPath: '.lastTimestamp' },
        { name: 'Type', type: 'string', jsonPath: '.type' },
        { name: 'Reason', type: 'string', jsonPath: '.reason' },
        { name: 'Object', type: 'string', jsonPath: '.involvedObject.name' },
        { name: 'Message', type: 'string', jsonPath: '.message' },
      ],
    }),
    builtin('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
    builtin('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
    builtin('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, {
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      hasStatus: true,
    }),
    builtin('admissionregistration.k8s.io', 'v1', 'validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', false, {
      categories: ['api-extensions'],
    }),
    builtin('admissionregistration.k8s.io', 'v1', 'mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', false, {
      categories: ['api-extensions'],
    }),
  ];
}

/** The kinds a CustomResourceDefinition (apiextensions.k8s.io/v1) declares, one per served version. */
export function typesOfCrd(crd: Obj): ResourceType[] {
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  return (spec.versions ?? [])
    .filter((v: Obj) => v.served !== false)
    .map((v: Obj) => ({
      group: spec.group,
      version: v.name,
      resource: names.plural,
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind}List`,
      singular: names.singular ?? String(names.kind).toLowerCase(),
      namespaced: spec.scope === 'Namespaced',
      shortNames: names.shortNames ?? [],
      categories: names.categories ?? [],
      verbs: VERBS,
      hasStatus: v.subresources?.status !== undefined,
      fieldLabels: (v.selectableFields ?? []).map((f: Obj) => String(f.jsonPath).replace(/^\./, '')),
      schema: v.schema?.openAPIV3Schema,
      printerColumns: v.additionalPrinterColumns ?? [],
      strategic: false,
    }));
}

export const groupVersion = (t: { group: string; version: string }) => (t.group ? `${t.group}/${t.version}` : t.version);

/** Discovery: /api, /apis, /api/v1, /apis/{group}/{version}. */
export function apiVersions(): Obj {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
}

export function apiGroupList(types: ResourceType[]): Obj {
  const groups = new Map<string, string[]>();
  for (const t of types) {
    if (!t.group) continue;
    const versions = groups.get(t.group) ?? [];
    if (!versions.includes(t.version)) versions.push(t.version);
    groups.set(t.group, versions);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => apiGroup(name, versions)),
  };
}

export function apiGroup(name: string, versions: string[]): Obj {
  const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: list, preferredVersion: list[0] };
}

export function apiResourceList(gv: string, types: ResourceType[]): Obj {
  const resources: Obj[] = [];
  for (const t of types) {
    resources.push({
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
      ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
      ...(t.categories.length ? { categories: t.categories } : {}),
    });
    if (t.hasStatus) resources.push({ name: `${t.resource}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
}

/** The served kinds: the built-ins plus the kinds of the CRDs stored so far. */
export class Types {
  private readonly byPath = new Map<string, ResourceType>();

  constructor() {
    for (const t of builtinTypes()) this.add(t);
  }

  private add(t: ResourceType): void {
    this.byPath.set(`${t.group}/${t.version}/${t.resource}`, t);
  }

  /** Registers (or re-registers) the kinds of a CRD. */
  setCrd(crd: Obj): void {
    this.dropCrd(crd);
    for (const t of typesOfCrd(crd)) this.add(t);
  }

  dropCrd(crd: Obj): void {
    const group = crd.spec?.group;
    const plural = crd.spec?.names?.plural;
    for (const [k, t] of this.byPath) if (t.group === group && t.resource === plural && !t.strategic) this.byPath.delete(k);
  }

  find(group: string, version: string, resource: string): ResourceType | undefined {
    return this.byPath.get(`${group}/${version}/${resource}`);
  }

  all(): ResourceType[] {
    return [...this.byPath.values()];
  }

  /** The storage bucket of a kind: one per group/resource, whatever the version. */
  static bucket(t: { group: string; resource: string }): string {
    return `${t.group}/${t.resource}`;
  }
}
