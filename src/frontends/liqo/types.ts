// The source-shaped model of a Liqo FirewallConfiguration (apiVersion networking.liqo.io/v1beta1):
// the CRD's own types (liqotech/liqo apis/networking/v1beta1/firewall), after schema validation and
// defaulting, with the YAML path and line/column of every field. Validation, naming, quirk
// detection and conversion to the IR all read this model; none of them looks at YAML again.

export const API_VERSION = 'networking.liqo.io/v1beta1';
export const API_GROUP = 'networking.liqo.io';
export const KIND = 'FirewallConfiguration';
/** Label that makes Liqo's mutating and validating webhooks skip an object. */
export const WEBHOOK_SKIP_LABEL = 'liqo.io/webhook-skip';

export const TABLE_FAMILIES = ['INET', 'IPV4', 'IPV6', 'ARP', 'NETDEV', 'BRIDGE'] as const;
export const CHAIN_TYPES = ['filter', 'route', 'nat'] as const;
export const CHAIN_HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress'] as const;
export const CHAIN_POLICIES = ['drop', 'accept'] as const;
export const FILTER_ACTIONS = [
  'ctmark', 'metamarkfromctmark', 'tcpmssclamp', 'accept', 'drop', 'reject', 'notrack',
] as const;
export const NAT_TYPES = ['dnat', 'snat', 'masquerade'] as const;
export const MATCH_OPS = ['eq', 'neq'] as const;
export const MATCH_POSITIONS = ['src', 'dst'] as const;
export const DEV_POSITIONS = ['in', 'out'] as const;
export const L4_PROTOS = ['tcp', 'udp'] as const;
export const CT_STATE_VALUES = ['new', 'established', 'related', 'untracked', 'invalid'] as const;

export type TableFamily = (typeof TABLE_FAMILIES)[number];
export type ChainType = (typeof CHAIN_TYPES)[number];
export type ChainHook = (typeof CHAIN_HOOKS)[number];
export type ChainPolicy = (typeof CHAIN_POLICIES)[number];
export type FilterAction = (typeof FILTER_ACTIONS)[number];
export type NatType = (typeof NAT_TYPES)[number];
export type MatchOperation = (typeof MATCH_OPS)[number];
export type MatchPosition = (typeof MATCH_POSITIONS)[number];
export type DevPosition = (typeof DEV_POSITIONS)[number];
export type L4Proto = (typeof L4_PROTOS)[number];
export type CtStateValue = (typeof CT_STATE_VALUES)[number];

/** Where a field is: its path inside the resource and its 1-based line/column in the file. */
export interface Loc {
  path: string;
  line?: number;
  column?: number;
}

/** A field's value and location. `defaulted` marks values the CRD's defaults filled in. */
export interface Field<T> {
  value: T;
  loc: Loc;
  defaulted?: boolean;
}

export interface FirewallConfiguration {
  file: string;
  apiVersion: string;
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  /** metadata.generation, when the document has one (status records report it as observedGeneration). */
  generation?: number;
  /** `namespace/name` (or `name` when the document has no namespace). */
  resource: string;
  table: Table;
  /** The document (or List item) root. */
  loc: Loc;
}

export interface Table {
  name: Field<string>;
  family: Field<TableFamily>;
  chains: Chain[];
  loc: Loc;
}

export interface Chain {
  index: number;
  name: Field<string>;
  type: Field<ChainType>;
  hook: Field<ChainHook>;
  priority: Field<number>;
  policy: Field<ChainPolicy>;
  rules: RulesSet;
  loc: Loc;
}

/** `rules`: at most one list is allowed; a present list (even `[]`) counts as defined. */
export interface RulesSet {
  filterRules?: RuleList<FilterRule>;
  natRules?: RuleList<NatRule>;
  routeRules?: RuleList<RouteRule>;
  loc: Loc;
}

export type RuleListKey = 'filterRules' | 'natRules' | 'routeRules';

export interface RuleList<R> {
  items: R[];
  loc: Loc;
}

interface RuleBase {
  /** Position in its list. */
  index: number;
  list: RuleListKey;
  name?: Field<string>;
  /** How origins name the rule: its name when non-empty and unique in its list, else `natRules[2]`. */
  label: string;
  loc: Loc;
}

export interface FilterRule extends RuleBase {
  list: 'filterRules';
  action: Field<FilterAction>;
  counter: Field<boolean>;
  match: MatchList;
  value?: Field<string>;
}

export interface NatRule extends RuleBase {
  list: 'natRules';
  natType: Field<NatType>;
  to?: Field<string>;
  match: MatchList;
  targetRef?: Record<string, string>;
}

export interface RouteRule extends RuleBase {
  list: 'routeRules';
}

export type AnyRule = FilterRule | NatRule | RouteRule;

export interface MatchList {
  items: Match[];
  loc: Loc;
}

export interface Match {
  index: number;
  op: Field<MatchOperation>;
  ip?: MatchIP;
  port?: MatchPort;
  dev?: MatchDev;
  proto?: MatchProto;
  ctstate?: MatchCtState;
  loc: Loc;
}

export interface MatchIP {
  position: Field<MatchPosition>;
  value: Field<string>;
  loc: Loc;
}

export interface MatchPort {
  position: Field<MatchPosition>;
  value: Field<string>;
  loc: Loc;
}

export interface MatchDev {
  position: Field<DevPosition>;
  value: Field<string>;
  loc: Loc;
}

export interface MatchProto {
  value: Field<L4Proto>;
  loc: Loc;
}

/** `ctstate.value`: the connection tracking states matched (the CRD: at least one). */
export interface MatchCtState {
  value: Field<CtStateValue>[];
  loc: Loc;
}

/** The rules Liqo reads for a chain: the list named by the chain's type (`FromChainToRulesArray`). */
export function chainRules(chain: Chain): AnyRule[] {
  switch (chain.type.value) {
    case 'filter':
      return chain.rules.filterRules?.items ?? [];
    case 'nat':
      return chain.rules.natRules?.items ?? [];
    case 'route':
      return chain.rules.routeRules?.items ?? [];
  }
}

/** Origin label of a rule: its name if non-empty and unique within the list, else `list[i]`. */
export function ruleLabels(rules: readonly AnyRule[]): void {
  const count = new Map<string, number>();
  for (const r of rules) if (r.name?.value) count.set(r.name.value, (count.get(r.name.value) ?? 0) + 1);
  for (const r of rules) {
    const n = r.name?.value;
    r.label = n && count.get(n) === 1 ? n : `${r.list}[${r.index}]`;
  }
}
