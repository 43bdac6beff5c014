// The provider-protection FirewallConfiguration for a peering state, and the tenants that state
// declares (for the isolation proof). One IPV4 table, one filter chain at the forward hook,
// policy accept (traffic that does not cross the tunnel is not this policy's business):
//   for each consumer c, each remapped CIDR S of c, each run P of c's offloaded pods:
//     allow-c-N   iifname liqo-tunnel  ip saddr S  ip daddr P   accept   (c reaches its own pods)
//     return-c-N  oifname liqo-tunnel  ip saddr P  ip daddr S  ct state established,related  accept
//                                                                      (their replies only)
//   drop-from-c-N     ip saddr S  drop    (whatever interface it comes in or goes out by, c's
//   drop-to-c-N       ip daddr S  drop     addresses reach and are reached by nothing else)
//   drop-from-tunnel  iifname liqo-tunnel  drop     (everything else between the clusters)
//   drop-to-tunnel    oifname liqo-tunnel  drop
// Runs of consecutive pod addresses become one range. The return rule's ctstate match keeps an
// offloaded pod from opening connections of its own back to its consumer's cluster: such a NEW
// packet falls through to drop-to-c-N.
// Deterministic: the same state always gives the same resource (so unchanged states write nothing).

import { formatIpv4, parseAddress } from '../../model/values.js';
import type { Consumer, PeeringState } from './peering.js';

export const TUNNEL_INTERFACE = 'liqo-tunnel';
export const FIREWALL_CATEGORY_LABEL = 'networking.liqo.io/firewall-category';
export const FIREWALL_SUBCATEGORY_LABEL = 'networking.liqo.io/firewall-subcategory';
export const GENERATED_BY_LABEL = 'app.kubernetes.io/managed-by';

export interface PolicyOptions {
  name?: string;
  namespace?: string;
  table?: string;
  /** The tunnel interface of the gateway (default liqo-tunnel). */
  tunnel?: string;
  /** Labels the gateways select the resource by (default: Liqo's gateway/fabric set, which every gateway applies). */
  labels?: Record<string, string>;
}

export const POLICY_DEFAULTS = {
  name: 'nftlens-provider-protection',
  namespace: 'liqo',
  table: 'nftlens-provider-protection',
  labels: { [FIREWALL_CATEGORY_LABEL]: 'gateway', [FIREWALL_SUBCATEGORY_LABEL]: 'fabric' },
} as const;

type Json = Record<string, unknown>;

/** Consecutive addresses (sorted) as runs: `10.0.0.1`, `10.0.0.4-10.0.0.6`. */
export function addressRuns(ips: readonly string[]): string[] {
  const vals = [...new Set(ips.map((ip) => Number(parseAddress(ip)!.value)))].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < vals.length;) {
    let j = i;
    while (j + 1 < vals.length && vals[j + 1] === vals[j]! + 1) j++;
    out.push(i === j ? formatIpv4(vals[i]!) : `${formatIpv4(vals[i]!)}-${formatIpv4(vals[j]!)}`);
    i = j + 1;
  }
  return out;
}

function ipMatch(position: 'src' | 'dst', value: string): Json {
  return { op: 'eq', ip: { position, value } };
}

function devMatch(position: 'in' | 'out', value: string): Json {
  return { op: 'eq', dev: { position, value } };
}

/** Replies to connections the consumer opened (and what they bring along, such as ICMP errors). */
const REPLY_STATES: Json = { op: 'eq', ctstate: { value: ['established', 'related'] } };

function consumerRules(c: Consumer, tunnel: string): Json[] {
  const rules: Json[] = [];
  let n = 0;
  for (const s of c.cidrs) {
    for (const p of addressRuns(c.pods)) {
      n++;
      rules.push({ name: `allow-${c.clusterId}-${n}`, action: 'accept', counter: true, match: [devMatch('in', tunnel), ipMatch('src', s.text), ipMatch('dst', p)] });
      rules.push({ name: `return-${c.clusterId}-${n}`, action: 'accept', counter: true, match: [devMatch('out', tunnel), ipMatch('src', p), ipMatch('dst', s.text), REPLY_STATES] });
    }
  }
  return rules;
}

/** The FirewallConfiguration (a plain object, as the API server would hold it) for a peering state. */
export function protectionPolicy(state: PeeringState, opts: PolicyOptions = {}): Json {
  const tunnel = opts.tunnel ?? TUNNEL_INTERFACE;
  const filterRules = [
    ...state.consumers.flatMap((c) => consumerRules(c, tunnel)),
    ...state.consumers.flatMap((c) => c.cidrs.flatMap((s, i) => [
      { name: `drop-from-${c.clusterId}-${i + 1}`, action: 'drop', counter: true, match: [ipMatch('src', s.text)] },
      { name: `drop-to-${c.clusterId}-${i + 1}`, action: 'drop', counter: true, match: [ipMatch('dst', s.text)] },
    ])),
    { name: 'drop-from-tunnel', action: 'drop', counter: true, match: [devMatch('in', tunnel)] },
    { name: 'drop-to-tunnel', action: 'drop', counter: true, match: [devMatch('out', tunnel)] },
  ];
  return {
    apiVersion: 'networking.liqo.io/v1beta1',
    kind: 'FirewallConfiguration',
    metadata: {
      name: opts.name ?? POLICY_DEFAULTS.name,
      namespace: opts.namespace ?? POLICY_DEFAULTS.namespace,
      labels: { ...(opts.labels ?? POLICY_DEFAULTS.labels), [GENERATED_BY_LABEL]: 'nftlens' },
    },
    spec: {
      table: {
        name: opts.table ?? POLICY_DEFAULTS.table,
        family: 'IPV4',
        chains: [{ name: 'provider-protection', type: 'filter', hook: 'forward', priority: 0, policy: 'accept', rules: { filterRules } }],
      },
    },
  };
}

/** Every IPv4 address not in `runs` (sorted, disjoint `a` / `a-b` texts), as ranges. */
function complement(values: { lo: number; hi: number }[]): string[] {
  const sorted = [...values].sort((a, b) => a.lo - b.lo);
  const out: string[] = [];
  let next = 0;
  for (const v of sorted) {
    if (v.lo > next) out.push(`${formatIpv4(next)}-${formatIpv4(v.lo - 1)}`);
    next = Math.max(next, v.hi + 1);
  }
  if (next <= 0xffffffff) out.push(`${formatIpv4(next)}-255.255.255.255`);
  return out;
}

export interface TenantSpec {
  sources: string[];
  destinations: string[];
  interfaces?: string[];
}

/**
 * What the policy must prove, as two tenant sets for the isolation analysis (no cross-tenant
 * packet accepted in either):
 *   inbound:  consumer c = traffic from its remapped CIDRs arriving on the tunnel, owning its pods;
 *             `provider` owns every other address — so c reaches only its own pods.
 *   outbound: consumer c = traffic from its pods, owning its remapped CIDRs; `provider` = every
 *             other source — so nothing but c's pods reaches c, and c's pods reach no other consumer.
 */
export function proofTenants(state: PeeringState, tunnel = TUNNEL_INTERFACE): { inbound: Record<string, TenantSpec>; outbound: Record<string, TenantSpec> } {
  const pods = state.consumers.flatMap((c) => c.pods.map((ip) => { const v = Number(parseAddress(ip)!.value); return { lo: v, hi: v }; }));
  const inbound: Record<string, TenantSpec> = {};
  const outbound: Record<string, TenantSpec> = {};
  for (const c of state.consumers) {
    const cidrs = c.cidrs.map((x) => x.text);
    inbound[c.clusterId] = { sources: cidrs, destinations: c.pods, interfaces: [tunnel] };
    outbound[c.clusterId] = { sources: c.pods, destinations: cidrs };
  }
  const rest = complement(pods);
  const name = providerName(state);
  inbound[name] = { sources: [], destinations: rest };
  outbound[name] = { sources: rest, destinations: [] };
  return { inbound, outbound };
}

/** `provider`, or `provider-N` if a consumer is named so. */
function providerName(state: PeeringState): string {
  const taken = new Set(state.consumers.map((c) => c.clusterId));
  let name = 'provider';
  for (let i = 2; taken.has(name); i++) name = `provider-${i}`;
  return name;
}
