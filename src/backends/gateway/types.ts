// The gateway applier's data: what nftlens means to install (Intent), what the kernel holds
// (KernelState), the change between them (Plan), the comparison of the two (VerifyResult), and
// the Kubernetes-condition-shaped status an agent writes for each (resource, host).

import type { Change } from '../../analyses/diff.js';
import type { Diagnostic } from '../../model/diagnostics.js';
import type { Origin } from '../../model/origin.js';
import type { Ruleset, Table } from '../../model/ruleset.js';

export interface GatewayOptions {
  /** Run nft inside this named network namespace. */
  netns?: string;
  /** Owner written in the marker (default `nftlens`); tables of another owner are foreign. */
  owner?: string;
  /** Take over tables of the intent that exist without (or with another owner's) marker. */
  adopt?: boolean;
  /** Delete owned tables that the intent no longer has. */
  prune?: boolean;
  /** Compute and return the plan, write nothing. */
  dryRun?: boolean;
  /** Per nft command (default 120 s). */
  timeoutMs?: number;
  /** How long to wait for another nftlens writer on the same namespace (default 60 s). */
  lockTimeoutMs?: number;
  /** `host` of status records (default: hostname, and `/NETNS` when netns is given). */
  host?: string;
  /**
   * The start check (checkNft), when the caller started it already: the CLI starts it before it
   * reads the input, so that nft runs while the input parses.
   */
  nftChecked?: Promise<NftInfo>;
}

export interface ResourceRef {
  /** `namespace/name` of a FirewallConfiguration, or the file of an nft JSON input. */
  name: string;
  kind: 'FirewallConfiguration' | 'nft-json';
  /** metadata.generation, when the resource has one. */
  generation?: number;
  /** Its tables, as `family name`. */
  tables: string[];
  origin: Origin;
}

export interface Intent {
  ruleset: Ruleset;
  resources: ResourceRef[];
  /** `family name` → the resource the table comes from. */
  tableResource: Map<string, ResourceRef>;
}

export interface OwnerMark {
  owner: string;
  /** The fingerprint of the intent table's rendered form (form.ts). */
  digest: string;
  /** The print (print.ts) of a listing verified to hold intent `digest` — or its form's fingerprint when it had no print (owner.ts). */
  seen?: string;
}

export interface KernelTable {
  /** `family name`. */
  id: string;
  /** Imported from the kernel's listing, marker chain removed (absent when it cannot be imported, or need not be). */
  table?: Table;
  /** Why the listing could not be imported (constructs nftlens does not model). */
  unsupported?: Diagnostic[];
  mark?: OwnerMark;
  /** The listing's objects (table, chains, rules, sets…) with handles, to restore on rollback (parsed when first asked). */
  readonly raw: object[];
  /** The fingerprint of the listing's form (form.ts; computed when first asked). */
  readonly fingerprint: string;
  /** The print of the listing's text (print.ts), when the table was listed alone. */
  print?: string;
  /**
   * The listing holds the intent without being imported (`table` is then absent): its form is
   * the rendered intent's (`rendered`), or the one a verified write found to hold it (`seen`:
   * the mark's digest is the intent's, its seen= the listing's print, or fingerprint).
   */
  holdsIntent?: 'rendered' | 'seen';
}

export interface KernelState {
  /** Tables nftlens owns (and, with adopt, the intent's unmarked ones), by `family name`. */
  owned: Map<string, KernelTable>;
  /** Tables of the intent that exist in the kernel but are not ours. */
  foreign: string[];
}

export type TableAction = 'create' | 'replace' | 'delete' | 'unchanged';

export interface TablePlan {
  id: string;
  action: TableAction;
  /** Readable, per rule: `+ chain c rule #3: …`, `- …`, `~ …`. */
  lines: string[];
}

export interface Plan {
  tables: TablePlan[];
  changed: boolean;
}

export interface TableCheck {
  id: string;
  inSync: boolean;
  /** The table is not in the kernel (or not ours). */
  missing: boolean;
  /** Structural differences (canonical form), `table …, chain …, rule #i: intent ≠ kernel`. */
  structural: string[];
  /** Exact policy differences between intent and kernel, each with a witness packet. */
  semantic: Change[];
}

export interface VerifyResult {
  inSync: boolean;
  tables: TableCheck[];
}

export type ConditionReason =
  | 'Applied'
  | 'Unchanged'
  | 'InSync'
  | 'Drifted'
  | 'NftError'
  | 'NftUnsupported'
  | 'RolledBack'
  | 'DryRun';

export interface GatewayFailure {
  reason: ConditionReason;
  message: string;
  origin?: Origin;
}

export interface ApplyResult {
  plan: Plan;
  /** A transaction was committed (then verified, and rolled back if verification failed). */
  written: boolean;
  verify?: VerifyResult;
  rolledBack: boolean;
  failure?: GatewayFailure;
}

/** Shaped like a Kubernetes condition (metav1.Condition). */
export interface Condition {
  type: 'Applied' | 'InSync';
  status: 'True' | 'False' | 'Unknown';
  reason: ConditionReason;
  message: string;
  observedGeneration?: number;
  /** RFC 3339. */
  lastTransitionTime: string;
}

export interface StatusRecord {
  resource: string;
  kind: ResourceRef['kind'];
  host: string;
  conditions: Condition[];
}

export interface NftInfo {
  /** `1.0.6`. */
  version: string;
}
