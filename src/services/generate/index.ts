// Policy generation: peering state (peering.ts) → provider-protection FirewallConfiguration
// (policy.ts) → proved with the isolation analysis before anyone writes it: the resource is read
// back through the Liqo front end (so it is valid as Liqo's webhook sees it) and both tenant sets
// of proofTenants must come out isolated; a breach is a bug of nftlens (PEERING_PROOF), reported
// with its witness packet. samePolicy() compares two resources by canonical form and labels, so a
// writer writes only when the meaning changed.

import { stringify } from 'yaml';
import { checkIsolation, parseTenants, type IsolationResult } from '../../analyses/isolation.js';
import { parseFirewallConfigurations } from '../../frontends/liqo/index.js';
import { canonicalRuleset } from '../../model/canonical.js';
import { NftlensError, type Diagnostic } from '../../model/diagnostics.js';
import type { Ruleset } from '../../model/ruleset.js';
import { formatPacket } from '../../engine/packet.js';
import { readPeeringState, type KubeObject, type PeeringState } from './peering.js';
import { protectionPolicy, proofTenants, TUNNEL_INTERFACE, type PolicyOptions } from './policy.js';

export { objectsOfText, readPeeringState, type KubeObject, type PeeringState, type Consumer } from './peering.js';
export { protectionPolicy, proofTenants, addressRuns, POLICY_DEFAULTS, TUNNEL_INTERFACE, type PolicyOptions } from './policy.js';

export interface Generated {
  state: PeeringState;
  /** The FirewallConfiguration, as a plain object. */
  resource: Record<string, unknown>;
  /** The resource as the Liqo front end reads it. */
  ruleset: Ruleset;
  proof: { inbound: IsolationResult; outbound: IsolationResult };
  notes: Diagnostic[];
}

/** Generates and proves the provider-protection resource for Liqo's peering objects. */
export function generateProtection(objects: readonly KubeObject[], file: string, opts: PolicyOptions = {}, from?: ReadonlyMap<KubeObject, string>): Generated {
  const state = readPeeringState(objects, file, from);
  const resource = protectionPolicy(state, opts);
  const { ruleset, diagnostics } = parseFirewallConfigurations(JSON.stringify(resource), '<generated>');
  const tenants = proofTenants(state, opts.tunnel ?? TUNNEL_INTERFACE);
  const prove = (which: 'inbound' | 'outbound') => {
    const r = checkIsolation(ruleset, parseTenants(JSON.stringify({ tenants: tenants[which] }), `<${which} tenants>`));
    if (!r.isolated) {
      const b = r.breaches[0]!;
      throw NftlensError.of('PEERING_PROOF', `the generated policy lets ${b.from} reach ${b.to} (${which}): ${formatPacket(b.witness)}, accepted by ${b.decidedBy.label}`, { file: '<generated>' });
    }
    return r;
  };
  return { state, resource, ruleset, proof: { inbound: prove('inbound'), outbound: prove('outbound') }, notes: [...state.notes, ...diagnostics] };
}

export function policyYaml(resource: Record<string, unknown>): string {
  return stringify(resource, { lineWidth: 0 });
}

/**
 * Whether two FirewallConfigurations mean the same: same labels (the gateways select by them),
 * same table in canonical form (rule names included: they are the rules' comments).
 */
export function samePolicy(a: unknown, b: unknown): boolean {
  const key = (x: unknown): string | undefined => {
    try {
      const { ruleset } = parseFirewallConfigurations(JSON.stringify(x), '<compare>');
      const labels = (x as { metadata?: { labels?: Record<string, string> } }).metadata?.labels ?? {};
      const sorted = Object.fromEntries(Object.entries(labels).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0)));
      return JSON.stringify([sorted, canonicalRuleset(ruleset)]);
    } catch (e) {
      if (e instanceof NftlensError) return undefined;
      throw e;
    }
  };
  const ka = key(a);
  return ka !== undefined && ka === key(b);
}
