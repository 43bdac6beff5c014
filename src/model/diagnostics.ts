// Diagnostics are data: a stable code from one registry, a severity, a message and an origin.
// Errors that stop a front end are thrown as NftlensError, which carries one or more diagnostics.
// docs/errors.md lists exactly the codes registered here (a test checks it).

import { formatOrigin, type Origin } from './origin.js';

export type Severity = 'error' | 'warning' | 'info';

/** Every code nftlens emits, with what it means. Add new codes here and to docs/errors.md. */
export const CODES = {
  // input
  INPUT_READ: 'a file, folder or stream could not be read',
  INPUT_PARSE: 'a document is not well-formed YAML or JSON',
  INPUT_KIND: 'a document is neither a FirewallConfiguration, a List of them, nor nft JSON',
  INPUT_EMPTY: 'an input holds no document: empty, only comments or `---`, or closed standard input',
  INPUT_TABLE_TWICE: 'two inputs define the same table (family and name), and nft JSON inputs give no rule to merge them',
  INPUT_ENCODING: 'an input is not UTF-8 text (NUL bytes or invalid UTF-8: binary data, or UTF-16)',
  // Liqo FirewallConfiguration: CRD schema
  LIQO_SCHEMA: "the resource does not follow the FirewallConfiguration CRD's schema",
  // Liqo FirewallConfiguration: validating webhook checks
  LIQO_FAMILY_HOOK: 'the table family, chain type and hook are not a combination Liqo allows',
  LIQO_RULESETS: 'a chain defines more than one rule set, or one of the wrong type',
  LIQO_CHAIN_NAME: 'two chains of a table have the same name',
  LIQO_RULE_NAME: 'a rule name is empty or repeated within its chain',
  LIQO_IP: 'an IP address, subnet or range is malformed or its start is after its end',
  LIQO_NAT_HOOK: 'a NAT rule type does not fit the hook of its chain',
  LIQO_NAT_TO: '`to` is missing for dnat/snat or present for masquerade',
  LIQO_MSS_CLAMP: 'tcpmssclamp needs an `eq` tcp proto match',
  LIQO_VALUE: 'a port, mark, MSS or NAT target value cannot be installed',
  LIQO_TABLE_NAME: 'another resource has the same table name and labels, or an update changes the table name',
  LIQO_NAME: 'a table, chain, rule or device name that nft or the kernel refuses (length, characters, keyword)',
  // Liqo FirewallConfiguration: warnings about Liqo's own translation
  LIQO_QUIRK: "Liqo's gateway installs something other than the resource's plain meaning",
  LIQO_UNNAMED: 'a rule had no name and was given a deterministic one',
  LIQO_SHARED_TABLE: 'two resources name one kernel table, or one resource is given twice; the gateway keeps one table',
  // nftables JSON
  NFT_SCHEMA: 'the document does not follow the libnftables JSON schema',
  NFT_UNSUPPORTED: 'the ruleset uses an nftables construct that nftlens does not model',
  NFT_REFERENCE: 'a rule refers to a chain or table that does not exist',
  // model
  MODEL_INVALID: 'the model breaks an invariant (a front end or caller bug, or hand-built IR)',
  // engine
  ENGINE_LOOP: 'jumps and gotos form a loop or nest deeper than the kernel allows (it refuses such a ruleset)',
  ENGINE_ORDER: 'two base chains share a hook and priority; like the kernel, the model runs the one created last first',
  // analyses
  ANALYSIS_LIMIT: 'a header-space analysis needs more BDD nodes than its limit allows',
  // nft back end
  NFT_COMMAND: 'the nft command failed',
  NFT_TEXT: 'a name or string cannot be written as nft text (nft would refuse it or read something else)',
  // gateway applier (apply / verify)
  NFT_ENV: 'nft is missing, too old, or lacks JSON support (an environment failure)',
  GATEWAY_REJECTED: 'nft refused the transaction; the failing table, chain or rule is named',
  GATEWAY_OWNER: 'a table of the input exists but nftlens does not own it (use --adopt), or the owner name is invalid',
  GATEWAY_RESERVED: 'an input chain uses the name nftlens reserves for its ownership marker',
  GATEWAY_LOCK: 'another nftlens writer held the namespace lock for too long',
  GATEWAY_ROLLBACK: 'restoring the previous state failed, or the kernel then differed from it',
  // policy generation (peering state → provider protection)
  PEERING_STATE: "Liqo's peering resources are malformed or incomplete (a consumer without a remapped pod CIDR, an IPv6 or malformed CIDR)",
  PEERING_OVERLAP: 'two consumers\' remapped pod CIDRs overlap (or an offloaded pod lies in one): no policy can tell them apart',
  PEERING_PROOF: 'the generated policy failed its isolation proof (a bug of nftlens): nothing written',
  // Kubernetes agent
  AGENT_KUBE: 'the Kubernetes API server could not be reached or refused a request',
  WEBHOOK_CONFIG: 'the webhook configuration file has an unknown key, check or decision, or a value out of range',
  // flow replay
  FLOW_FORMAT: 'a flow file is of no format replay reads, or not of the format asked for',
  FLOW_RECORD: 'a flow record (conntrack line, pcap record, JSON line, CSV row) is malformed or over a limit',
} as const;

/** Codes that report a failure of the environment (or of nftlens itself), not of the input: exit 3. */
export const ENVIRONMENT_CODES: ReadonlySet<Code> = new Set<Code>(['NFT_ENV', 'GATEWAY_LOCK', 'GATEWAY_ROLLBACK', 'PEERING_PROOF', 'AGENT_KUBE']);

export type Code = keyof typeof CODES;

export interface Diagnostic {
  code: Code;
  severity: Severity;
  message: string;
  origin: Origin;
}

export function diag(code: Code, severity: Severity, message: string, origin: Origin): Diagnostic {
  return { code, severity, message, origin };
}

/** One line: `ERROR LIQO_IP file.yaml:12:9 resource ns/x, chain c, rule r, field …: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = formatOrigin(d.origin);
  return `${d.severity}[${d.code}] ${where ? where + ': ' : ''}${d.message}`;
}

/** The error every front end and back end throws for bad input; never a bare Error. */
export class NftlensError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[] | Diagnostic) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(list.map(formatDiagnostic).join('\n'));
    this.name = 'NftlensError';
    this.diagnostics = list;
  }
  get code(): Code {
    return this.diagnostics[0]!.code;
  }
  static of(code: Code, message: string, origin: Origin): NftlensError {
    return new NftlensError(diag(code, 'error', message, origin));
  }
}
