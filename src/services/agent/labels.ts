// Which FirewallConfigurations a gateway applies, as Liqo's gateway selects its own: a resource is
// selected when its labels hold every label of at least one set (controller-runtime's
// LabelSelectorPredicate per set, OR-ed). Liqo's gateway for remote cluster R uses
//   {firewall-category: gateway, firewall-subcategory: fabric}
//   {firewall-category: gateway, firewall-unique: R}
//   {firewall-category: gateway, firewall-subcategory: ip-mapping}
// (cmd/gateway; pkg/gateway, pkg/firewall/label.go). Every set shares firewall-category=gateway,
// which the informer asks the API server for; the rest is filtered here.

export const CATEGORY = 'networking.liqo.io/firewall-category';
export const SUBCATEGORY = 'networking.liqo.io/firewall-subcategory';
export const UNIQUE = 'networking.liqo.io/firewall-unique';

export type LabelSet = Readonly<Record<string, string>>;

/** Liqo's gateway label sets; without a remote cluster ID, the sets that need none. */
export function gatewaySelectors(remoteClusterId?: string): LabelSet[] {
  const sets: LabelSet[] = [
    { [CATEGORY]: 'gateway', [SUBCATEGORY]: 'fabric' },
    { [CATEGORY]: 'gateway', [SUBCATEGORY]: 'ip-mapping' },
  ];
  if (remoteClusterId !== undefined) sets.splice(1, 0, { [CATEGORY]: 'gateway', [UNIQUE]: remoteClusterId });
  return sets;
}

export function selects(sets: readonly LabelSet[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const have = labels ?? {};
  return sets.some((set) => Object.entries(set).every(([k, v]) => have[k] === v));
}

/** The labels every set requires (as `k=v,k=v`), for the server-side list and watch. */
export function commonSelector(sets: readonly LabelSet[]): string | undefined {
  if (sets.length === 0) return undefined;
  const common = Object.entries(sets[0]!).filter(([k, v]) => sets.every((s) => s[k] === v));
  return common.length ? common.map(([k, v]) => `${k}=${v}`).join(',') : undefined;
}

const KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** `k=v,k=v` (one --selector) → a label set; a malformed one is an Error with the reason. */
export function parseLabelSet(text: string): LabelSet {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const m = /^([^=]+)=(.*)$/.exec(part.trim());
    if (!m || !KEY.test(m[1]!) || !VALUE.test(m[2]!)) throw new Error(`${JSON.stringify(part)} is not a label KEY=VALUE`);
    out[m[1]!] = m[2]!;
  }
  return out;
}
