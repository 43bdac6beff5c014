// Test support: small FirewallConfiguration documents written from a compact spec, for tests that
// give several resources at once (cross-resource checks, one table shared by two resources).

export interface Doc {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  family?: string;
  table?: string;
  /** Chains as `name:hook:priority` → rules as `name:daddr:action[:value]`. */
  chains: Record<string, string[]>;
}

/** A FirewallConfiguration document with filter chains whose rules match one destination address. */
export function doc(d: Doc): string {
  const labels = Object.entries(d.labels ?? {}).map(([k, v]) => `\n    ${k}: "${v}"`).join('');
  const chains = Object.entries(d.chains).map(([spec, rules]) => {
    const [name, hook, prio] = spec.split(':');
    const rs = rules.map((r) => {
      const [rn, ip, action, value] = r.split(':');
      return `\n          - name: ${rn}\n            action: ${action}${value ? `\n            value: "${value}"` : ''}\n` +
        `            match:\n              - op: eq\n                ip: {position: dst, value: ${ip}}`;
    }).join('');
    return `\n    - name: ${name}\n      type: filter\n      hook: ${hook ?? 'forward'}\n      priority: ${prio ?? 0}\n      policy: accept\n      rules:\n        filterRules:${rs || ' []'}`;
  }).join('');
  return `---\napiVersion: networking.liqo.io/v1beta1\nkind: FirewallConfiguration\nmetadata:\n  name: ${d.name}\n` +
    (d.namespace ? `  namespace: ${d.namespace}\n` : '') + (labels ? `  labels:${labels}\n` : '') +
    `spec:\n  table:\n    name: ${d.table ?? 'shared'}\n    family: ${d.family ?? 'IPV4'}\n    chains:${chains}\n`;
}

const labels = (tenant: string) => ({ 'networking.liqo.io/firewall-category': 'gateway', 'networking.liqo.io/firewall-unique': tenant });
/**
 * Two resources naming table ip shared with different labels (so Liqo's webhook admits both).
 * venice's resource drops traffic to 10.42.0.6; naples's, applied later, keeps the chain (same
 * hook, priority, policy) but its rule `block` drops 10.42.0.5 instead: the gateway deletes
 * venice's `block` (not equal) and `allow`, and appends naples's.
 */
export const SHARED_TABLE_TEXT =
  doc({ name: 'venice', namespace: 'liqo', labels: labels('venice'), chains: { 'filt:forward': ['allow:10.42.0.7:accept', 'block:10.42.0.6:drop'] } }) +
  doc({ name: 'naples', namespace: 'liqo', labels: labels('naples'), chains: { 'filt:forward': ['block:10.42.0.5:drop'] } });

/** A FirewallConfiguration with one filter chain (IPV4, forward, policy drop unless told) of the given rules, each YAML flow text on its own line (the first on line 17). */
export function filterDoc(rules: readonly string[], o: { family?: string; hook?: string; policy?: string } = {}): string {
  return `apiVersion: networking.liqo.io/v1beta1
kind: FirewallConfiguration
metadata:
  name: fw
  namespace: ns
spec:
  table:
    name: t
    family: ${o.family ?? 'IPV4'}
    chains:
    - name: c
      type: filter
      hook: ${o.hook ?? 'forward'}
      policy: ${o.policy ?? 'drop'}
      rules:
        filterRules:
${rules.map((r) => `        - ${r}\n`).join('')}`;
}
