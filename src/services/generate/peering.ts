// Peering state, read from Liqo's resources as they are in a provider cluster (from files holding
// them — YAML documents or `kind: List`, as `kubectl get -o yaml` prints — or from the API server):
//   ForeignCluster (core.liqo.io)        spec.clusterID; status.role Consumer | ConsumerAndProvider
//                                         (the remote cluster consumes this one's resources);
//                                         status.tenantNamespace.local (reported only)
//   Configuration (networking.liqo.io)   label liqo.io/remote-cluster-id; status.remote.cidr.pod —
//                                         the CIDR(s) the remote cluster's pods are remapped to here,
//                                         i.e. the sources its traffic carries on this gateway
//   Pod (v1)                              labels liqo.io/managed-by=shadowpod and
//                                         offloading.liqo.io/origin (virtualkubelet.liqo.io/origin
//                                         before Liqo 1.0) = the consumer's cluster ID; status.podIP(s)
// — the sources Liqo's own isolation reconciler reads. Output: each consumer with its remapped
// CIDRs and its offloaded pods' addresses. Malformed or missing data is a located error; two
// consumers whose remapped CIDRs overlap cannot be told apart by source: refused (PEERING_OVERLAP).

import { parseAllDocuments } from 'yaml';
import { NftlensError, diag, type Diagnostic } from '../../model/diagnostics.js';
import type { Origin } from '../../model/origin.js';
import { formatIpv4, parseAddress, prefixMask } from '../../model/values.js';

export const REMOTE_CLUSTER_ID_LABEL = 'liqo.io/remote-cluster-id';
export const MANAGED_BY_LABEL = 'liqo.io/managed-by';
export const MANAGED_BY_SHADOWPOD = 'shadowpod';
export const ORIGIN_LABELS = ['offloading.liqo.io/origin', 'virtualkubelet.liqo.io/origin'] as const;
const CONSUMER_ROLES = new Set(['Consumer', 'ConsumerAndProvider']);

export interface Cidr {
  /** As written, canonical: `10.112.0.0/16`. */
  text: string;
  lo: number;
  hi: number;
}

export interface Consumer {
  clusterId: string;
  tenantNamespace?: string;
  cidrs: Cidr[];
  /** Offloaded pods' IPv4 addresses, sorted, unique. */
  pods: string[];
  /** Its ForeignCluster. */
  origin: Origin;
  /** Its Configuration's remapped pod CIDR field. */
  cidrOrigin?: Origin;
}

export interface PeeringState {
  /** Sorted by cluster ID. */
  consumers: Consumer[];
  /** Things ignored on the way (a pod without an address, a pod of a cluster that is no consumer). */
  notes: Diagnostic[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
  status?: unknown;
}

/** The objects of a YAML/JSON text: every document, and the items of `kind: List` documents. */
export function objectsOfText(text: string, file: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      const [line, column] = e.linePos?.[0] ? [e.linePos[0].line, e.linePos[0].col] : [undefined, undefined];
      throw NftlensError.of('INPUT_PARSE', e.message.split('\n')[0]!, { file, line, column });
    }
    const v: unknown = doc.toJS();
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object' || Array.isArray(v)) throw NftlensError.of('PEERING_STATE', 'a document is not a Kubernetes object', { file });
    const o = v as KubeObject & { items?: unknown };
    if (o.kind === 'List' || (o.kind ?? '').endsWith('List')) {
      if (!Array.isArray(o.items)) throw NftlensError.of('PEERING_STATE', `${o.kind} without items`, { file, field: 'items' });
      out.push(...(o.items as KubeObject[]));
    } else out.push(o);
  }
  return out;
}

function get(o: unknown, path: string[]): unknown {
  let x = o;
  for (const k of path) x = x && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined;
  return x;
}

function nameOf(o: KubeObject): string {
  const m = o.metadata ?? {};
  return `${o.kind ?? '?'} ${m.namespace ? `${m.namespace}/` : ''}${m.name ?? '?'}`;
}

/** `10.112.0.0/16` (host bits must be clear) → its interval; an IPv6 or malformed CIDR is an error. */
export function parseCidr(text: unknown, at: Origin): Cidr {
  const bad = (why: string) => NftlensError.of('PEERING_STATE', `${JSON.stringify(text)} ${why}`, at);
  if (typeof text !== 'string') throw bad('is not a CIDR');
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text.trim());
  const a = m && parseAddress(m[1]!);
  if (!m || !a) throw bad('is not an IPv4 CIDR such as 10.112.0.0/16');
  if (a.version !== 4) throw bad('is IPv6: Liqo remaps IPv4 pod CIDRs only, and the provider-protection table is an IPV4 table');
  const len = Number(m[2]);
  if (len > 32) throw bad('has a prefix longer than 32');
  const mask = prefixMask(len, 32);
  if ((a.value & mask) !== a.value) throw bad(`has host bits set (the network is ${formatIpv4(Number(a.value & mask))}/${len})`);
  const lo = Number(a.value);
  return { text: `${formatIpv4(lo)}/${len}`, lo, hi: lo + 2 ** (32 - len) - 1 };
}

/** status.remote.cidr.pod: one CIDR (Liqo 1.0) or a list of them (later releases). */
function remappedCidrs(o: KubeObject, file: string): Cidr[] {
  const field = 'status.remote.cidr.pod';
  const at = { file, resource: nameOf(o), field };
  const v = get(o, ['status', 'remote', 'cidr', 'pod']);
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) {
    throw NftlensError.of('PEERING_STATE', 'the Configuration has no remapped pod CIDR yet (Liqo fills it once the network is set up); without it the consumer cannot be told apart', at);
  }
  const list = Array.isArray(v) ? v : [v];
  return list.map((x, i) => parseCidr(x, Array.isArray(v) ? { ...at, field: `${field}[${i}]` } : at));
}

function podAddresses(o: KubeObject, file: string): string[] {
  const at = { file, resource: nameOf(o), field: 'status.podIPs' };
  const ips = get(o, ['status', 'podIPs']);
  const list: unknown[] = Array.isArray(ips) ? ips.map((x) => get(x, ['ip'])) : [get(o, ['status', 'podIP'])];
  const out: string[] = [];
  for (const ip of list) {
    if (ip === undefined || ip === null || ip === '') continue;
    const a = typeof ip === 'string' ? parseAddress(ip) : undefined;
    if (!a) throw NftlensError.of('PEERING_STATE', `${JSON.stringify(ip)} is not an IP address`, at);
    if (a.version === 4) out.push(formatIpv4(Number(a.value)));
  }
  return out;
}

function ipValue(ip: string): number {
  return Number(parseAddress(ip)!.value);
}

/**
 * Reads the consumers, their remapped CIDRs and offloaded pods from Liqo's resources; `file` names
 * where they come from in messages (`from` maps an object to its own file when they come from several).
 */
export function readPeeringState(objects: readonly KubeObject[], source: string, from?: ReadonlyMap<KubeObject, string>): PeeringState {
  const fileOf = (o: KubeObject) => from?.get(o) ?? source;
  const notes: Diagnostic[] = [];
  const consumers = new Map<string, Consumer>();
  for (const o of objects) {
    if (o.kind !== 'ForeignCluster') continue;
    const file = fileOf(o);
    const at = { file, resource: nameOf(o) };
    const id = get(o, ['spec', 'clusterID']);
    if (typeof id !== 'string' || id === '') throw NftlensError.of('PEERING_STATE', 'spec.clusterID is missing', { ...at, field: 'spec.clusterID' });
    // Liqo's cluster IDs are DNS-1123 labels; they name the generated rules
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(id)) throw NftlensError.of('PEERING_STATE', `cluster ID ${JSON.stringify(id)} is not a DNS-1123 label (lower-case letters, digits, '-', at most 63)`, { ...at, field: 'spec.clusterID' });
    const role = get(o, ['status', 'role']);
    if (typeof role !== 'string' || !CONSUMER_ROLES.has(role)) continue;
    if (consumers.has(id)) throw NftlensError.of('PEERING_STATE', `cluster ${id} has two ForeignClusters`, { ...at, field: 'spec.clusterID' });
    const ns = get(o, ['status', 'tenantNamespace', 'local']);
    consumers.set(id, { clusterId: id, tenantNamespace: typeof ns === 'string' ? ns : undefined, cidrs: [], pods: [], origin: at });
  }
  const configured = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'Configuration' || !(o.apiVersion ?? '').startsWith('networking.liqo.io/')) continue;
    const file = fileOf(o);
    const id = o.metadata?.labels?.[REMOTE_CLUSTER_ID_LABEL];
    const c = id === undefined ? undefined : consumers.get(id);
    if (!c) continue;
    if (configured.has(c.clusterId)) {
      throw NftlensError.of('PEERING_STATE', `cluster ${c.clusterId} has two Configurations`, { file, resource: nameOf(o), field: `metadata.labels.${REMOTE_CLUSTER_ID_LABEL}` });
    }
    configured.add(c.clusterId);
    c.cidrs = remappedCidrs(o, file);
    c.cidrOrigin = { file, resource: nameOf(o), field: 'status.remote.cidr.pod' };
  }
  for (const c of consumers.values()) {
    if (!configured.has(c.clusterId)) {
      throw NftlensError.of('PEERING_STATE', `consumer ${c.clusterId} has no Configuration (networking.liqo.io) labelled ${REMOTE_CLUSTER_ID_LABEL}=${c.clusterId}: its remapped pod CIDR is unknown`, c.origin);
    }
  }
  const pods = new Map<string, Set<string>>();
  for (const o of objects) {
    const labels = o.metadata?.labels ?? {};
    if (o.kind !== 'Pod' || labels[MANAGED_BY_LABEL] !== MANAGED_BY_SHADOWPOD) continue;
    const file = fileOf(o);
    const origin = ORIGIN_LABELS.map((k) => labels[k]).find((v) => v !== undefined);
    const at = { file, resource: nameOf(o) };
    if (origin === undefined || !consumers.has(origin)) {
      notes.push(diag('PEERING_STATE', 'info', origin === undefined ? 'offloaded pod without an origin label: ignored' : `offloaded pod of cluster ${origin}, which is not a consumer: ignored (its traffic is dropped)`, at));
      continue;
    }
    const ips = podAddresses(o, file);
    if (ips.length === 0) notes.push(diag('PEERING_STATE', 'info', 'offloaded pod without an address yet: not reachable until it has one', at));
    const set = pods.get(origin) ?? new Set<string>();
    for (const ip of ips) set.add(ip);
    pods.set(origin, set);
  }
  const list = [...consumers.values()].sort((a, b) => (a.clusterId < b.clusterId ? -1 : a.clusterId > b.clusterId ? 1 : 0));
  for (const c of list) c.pods = [...(pods.get(c.clusterId) ?? [])].sort((a, b) => ipValue(a) - ipValue(b));
  checkOverlaps(list);
  return { consumers: list, notes };
}

/** Two consumers' remapped CIDRs must not overlap, nor may a pod sit inside a consumer's CIDR. */
function checkOverlaps(consumers: readonly Consumer[]): void {
  const all = consumers.flatMap((c) => c.cidrs.map((x) => ({ c, x })));
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i]!;
      const b = all[j]!;
      if (a.c === b.c || a.x.hi < b.x.lo || b.x.hi < a.x.lo) continue;
      throw NftlensError.of('PEERING_OVERLAP',
        `the remapped pod CIDRs of consumers ${a.c.clusterId} (${a.x.text}) and ${b.c.clusterId} (${b.x.text}) overlap: their traffic cannot be told apart by source address, so no policy can isolate them (Liqo should have remapped one of them)`,
        b.c.cidrOrigin ?? b.c.origin);
    }
  }
  for (const c of consumers) {
    for (const ip of c.pods) {
      const v = ipValue(ip);
      const hit = all.find(({ x }) => v >= x.lo && v <= x.hi);
      if (hit) {
        throw NftlensError.of('PEERING_OVERLAP', `offloaded pod ${ip} of consumer ${c.clusterId} lies inside the remapped pod CIDR ${hit.x.text} of consumer ${hit.c.clusterId}`, c.origin);
      }
    }
  }
}
