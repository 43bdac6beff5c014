// Liqo's validating webhook (pkg/webhooks/firewallconfiguration, `webhookValidate.Handle`), check
// by check and in its order: unique chain names; per chain family/type/hook, one rule set, rule set
// of the chain's type, rule names; NAT rules' type vs hook and `to`; filter rules' IP values and
// tcpmssclamp. Liqo stops at the first failure; this collects them all (skipping only checks that
// would repeat an earlier one). Then LIQO_VALUE: what Liqo never checks but what cannot be
// installed or means nothing (ports, marks, NAT targets, IPs in NAT rules, an IP of the wrong
// family for the table), and LIQO_NAME: names nft or the kernel refuses. Cluster-wide checks
// (unique table name + labels, immutable table name) are the analyzer's, across resources.

import { diag, type Code, type Diagnostic } from '../../model/diagnostics.js';
import {
  chainRules, WEBHOOK_SKIP_LABEL,
  type Chain, type ChainHook, type ChainType, type Field, type FilterRule, type FirewallConfiguration, type Loc,
  type NatRule, type TableFamily,
} from './types.js';
import { IFNAME_MAX_BYTES, NFT_COMMENT_MAX_BYTES, nftNameProblem, nftStringProblem } from '../../model/nft-text.js';
import { as16, goAtoi, liqoIPValue, liqoPortValue, unmap, type IPValue } from './values.js';
import { originOf, type Scope } from './where.js';

/**
 * `chain.go` `allowedTableFamilyChainTypeHook`, as written: ip/ip6/inet filter chains on every
 * hook but ingress (ingress: inet only); nat on prerouting, input, output, postrouting; route on
 * output; arp filter on input/output; bridge filter on every hook but ingress; netdev filter on
 * ingress. (The fixtures' README says forward is IPV4-only; every version of chain.go read says
 * otherwise, and this follows the code.)
 */
export function allowedTableFamilyChainTypeHook(family: TableFamily, type: ChainType, hook: ChainHook): boolean {
  switch (family) {
    case 'INET':
    case 'IPV4':
    case 'IPV6':
      switch (type) {
        case 'filter':
          return hook !== 'ingress' || family === 'INET';
        case 'nat':
          return hook === 'prerouting' || hook === 'input' || hook === 'output' || hook === 'postrouting';
        case 'route':
          return hook === 'output';
      }
    case 'ARP':
      return type === 'filter' && (hook === 'input' || hook === 'output');
    case 'BRIDGE':
      return type === 'filter' && hook !== 'ingress';
    case 'NETDEV':
      return type === 'filter' && hook === 'ingress';
  }
}

/** Every error of one resource: the webhook's, then LIQO_VALUE. */
export function validateFirewallConfiguration(fc: FirewallConfiguration): Diagnostic[] {
  const v = new Validator(fc);
  v.webhook();
  v.values();
  return v.out;
}

class Validator {
  readonly out: Diagnostic[] = [];
  private readonly skip: boolean;

  constructor(private readonly fc: FirewallConfiguration) {
    this.skip = fc.labels[WEBHOOK_SKIP_LABEL] === 'true';
  }

  webhook(): void {
    const { fc } = this;
    const seen = new Map<string, number>();
    for (const chain of fc.table.chains) {
      const first = seen.get(chain.name.value);
      if (first === undefined) seen.set(chain.name.value, chain.index);
      else {
        this.hook('LIQO_CHAIN_NAME', chain.name.loc, { chain },
          `chain name ${chain.name.value} is duplicated (chains[${first}] has it too); chain names must be unique within a table`);
      }
    }
    for (const chain of fc.table.chains) {
      const family = fc.table.family.value;
      const familyOk = allowedTableFamilyChainTypeHook(family, chain.type.value, chain.hook.value);
      if (!familyOk) {
        this.hook('LIQO_FAMILY_HOOK', chain.hook.loc, { chain },
          `the combination of family ${family}, chain type ${chain.type.value} and hook ${chain.hook.value} is not allowed by Liqo ` +
          `(${allowedHooks(family, chain.type.value)})`);
      }
      const sets = (['natRules', 'filterRules', 'routeRules'] as const).filter((k) => chain.rules[k] !== undefined);
      if (sets.length > 1) {
        this.hook('LIQO_RULESETS', chain.rules.loc, { chain }, `only one rule set must be defined, found ${sets.join(' and ')}`);
      }
      for (const key of sets) {
        const want = key === 'filterRules' ? 'filter' : key === 'natRules' ? 'nat' : 'route';
        if (chain.type.value !== want) {
          this.hook('LIQO_RULESETS', chain.rules[key]!.loc, { chain },
            `${key} must be defined only in a chain of type ${want}; this chain is of type ${chain.type.value}` +
            (chain.rules[key]!.items.length === 0 ? ' (an empty list counts as defined)' : ''));
        }
      }
      this.ruleNames(chain);
      if (chain.type.value === 'nat') {
        for (const rule of chain.rules.natRules?.items ?? []) {
          if (familyOk) this.natHook(chain, rule);
          this.natTo(chain, rule);
        }
      }
      if (chain.type.value === 'filter') {
        for (const rule of chain.rules.filterRules?.items ?? []) this.filterRule(chain, rule);
      }
    }
  }

  private ruleNames(chain: Chain): void {
    const seen = new Map<string, number>();
    for (const rule of chainRules(chain)) {
      const name = rule.name?.value;
      const loc = rule.name?.loc ?? { ...rule.loc, path: `${rule.loc.path}.name` };
      if (!name) {
        this.hook('LIQO_RULE_NAME', loc, { chain, rule },
          `rule name is void: ${rule.name ? 'the name is empty' : 'the rule has no name'}` +
          (this.skip
            ? `; Liqo's mutating webhook, which names such rules, skips this resource, ` +
              `and Liqo's gateway crashes translating a nameless rule`
            : `; in a cluster Liqo's mutating webhook would name it with a random UUID ` +
              `(nftlens does so deterministically with the nameRules option)`));
        continue;
      }
      const first = seen.get(name);
      if (first === undefined) seen.set(name, rule.index);
      else {
        this.hook('LIQO_RULE_NAME', loc, { chain, rule },
          `name ${name} is duplicated (${rule.list}[${first}] has it too); ` +
          `rule names must be unique within a chain, since Liqo finds rules by name`);
      }
    }
  }

  /** `natrule.go` `checkNatRuleChainHook`. */
  private natHook(chain: Chain, rule: NatRule): void {
    const hook = chain.hook.value;
    const type = rule.natType.value;
    const dnat = type === 'dnat';
    const bad = (hook === 'postrouting' || hook === 'input') === dnat;
    if (!bad) return;
    const kind = dnat ? 'DNAT' : 'SNAT';
    this.hook('LIQO_NAT_HOOK', rule.natType.loc, { chain, rule },
      `natrule ${rule.label} is ${kind}${dnat ? '' : ` (${type})`} that is incompatible with ${hook}: ` +
      (dnat ? 'dnat belongs in prerouting or output chains' : 'snat and masquerade belong in postrouting or input chains'));
  }

  /** `natrule.go` `checkNatRuleTo`: dnat/snat need `to` (even `""` counts), masquerade must not have it. */
  private natTo(chain: Chain, rule: NatRule): void {
    const type = rule.natType.value;
    if (type !== 'masquerade' && rule.to === undefined) {
      this.hook('LIQO_NAT_TO', { ...rule.loc, path: `${rule.loc.path}.to` }, { chain, rule },
        `natrule ${rule.label} is ${type} but has no to field: say which address or subnet to translate to`);
    }
    if (type === 'masquerade' && rule.to !== undefined) {
      this.hook('LIQO_NAT_TO', rule.to.loc, { chain, rule },
        `natrule ${rule.label} is masquerade but has a to field: masquerade always uses the outgoing interface's address`);
    }
  }

  /** `filterrule.go` `checkFilterRule`: IP values, then tcpmssclamp's tcp match. */
  private filterRule(chain: Chain, rule: FilterRule): void {
    for (const m of rule.match.items) {
      if (!m.ip) continue;
      const text = m.ip.value.value;
      const v = liqoIPValue(text);
      if (!v) {
        this.hook('LIQO_IP', m.ip.value.loc, { chain, rule },
          `invalid match value IP ${text}: expected an address (10.0.0.1), a subnet (10.0.0.0/24) or a range (10.0.0.1-10.0.0.20)`);
      } else if (v.type === 'range' && as16(v.start) > as16(v.end)) {
        this.hook('LIQO_IP', m.ip.value.loc, { chain, rule }, `invalid range ${text}: its start is after its end`);
      }
    }
    if (rule.action.value !== 'tcpmssclamp') return;
    // Liqo scans entries in order and reads `Proto.Value` without a nil check.
    for (const m of rule.match.items) {
      if (!m.proto) {
        const loc = { ...m.loc, path: `${m.loc.path}.proto` };
        const later = rule.match.items.some((x) => x.index > m.index && x.proto?.value.value === 'tcp' && x.op.value === 'eq');
        this.hook('LIQO_MSS_CLAMP', loc, { chain, rule },
          `match[${m.index}] of this tcpmssclamp rule has no proto; Liqo's webhook crashes on it ` +
          `(nil pointer, HTTP 500) and the API server denies the resource` +
          (later ? `, although a later entry matches tcp: put the tcp proto match first` : `; the rule needs an eq tcp proto match`));
        return;
      }
      if (m.proto.value.value === 'tcp' && m.op.value === 'eq') return;
    }
    this.hook('LIQO_MSS_CLAMP', rule.match.loc, { chain, rule },
      `tcp mss clamp rule should have a match for tcp protocol (an entry with op: eq and proto: tcp)`);
  }

  // ─── LIQO_VALUE: what Liqo never checks ─────────────────────────────────────────────────────────

  values(): void {
    const { table } = this.fc;
    this.nftName(table.name, {}, 'table');
    for (const chain of table.chains) {
      this.nftName(chain.name, { chain }, 'chain');
      if (chain.hook.value === 'ingress' && allowedTableFamilyChainTypeHook(table.family.value, chain.type.value, 'ingress')) {
        this.value(chain.hook.loc, { chain },
          `an ingress chain must name the device it attaches to, and the CRD has no field for it: ` +
          `nft refuses the chain ("Missing \`device' in this chain definition"), as JSON and as text`);
      }
      for (const rule of chainRules(chain)) {
        if (rule.name?.value) {
          // The rule's name becomes its nft comment.
          const problem = nftStringProblem(rule.name.value, NFT_COMMENT_MAX_BYTES);
          if (problem) this.name(rule.name.loc, { chain, rule }, `the rule name becomes the rule's nft comment, and ${problem}`);
        }
        if (rule.list === 'routeRules') continue;
        this.matchValues(chain, rule);
        if (rule.list === 'filterRules') this.actionValue(chain, rule);
        else this.natValue(chain, rule);
      }
    }
  }

  private matchValues(chain: Chain, rule: FilterRule | NatRule): void {
    const scope = { chain, rule };
    const nat = rule.list === 'natRules';
    const family = this.fc.table.family.value;
    for (const m of rule.match.items) {
      if (m.ctstate && (family === 'ARP' || family === 'NETDEV')) {
        this.value(m.ctstate.loc, scope,
          `the kernel refuses a ct state match in a table of family ${family} (no connection tracking there: "Protocol error"); ` +
          `Liqo's webhook accepts it, but ${FAILS}`);
      }
      if (m.ip) {
        const { value: text, loc } = m.ip.value;
        const v = liqoIPValue(text);
        if (!v) {
          // In filter rules the webhook has already said so (LIQO_IP).
          if (nat) this.value(loc, scope, `${text} is not an IP address, subnet or a-b range; ${NAT_IP_GAP}; ${FAILS}`);
        } else if (v.type === 'range') {
          const reversed = as16(v.start) > as16(v.end);
          if (unmap(v.start).version !== unmap(v.end).version && (nat || !reversed)) {
            this.value(loc, scope,
              `the range ${text} mixes IPv4 and IPv6, which no packet field holds; Liqo's webhook accepts it ` +
              `(it compares 16-byte forms), but ${FAILS}`);
          } else if (nat && reversed) {
            this.value(loc, scope, `the range ${text} starts after it ends, so it matches nothing; ${NAT_IP_GAP}`);
          }
        }
        if (v) this.ipFamily(loc, scope, text, ipVersion(v), 'value');
      }
      const port = m.port && liqoPortValue(m.port.value.value);
      if (m.port && !port) {
        this.value(m.port.value.loc, scope,
          `port ${JSON.stringify(m.port.value.value)} is neither a number nor a start-end range of numbers; ` +
          `Liqo's webhook does not check ports and accepts it, but ${FAILS}`);
      } else if (m.port && port?.type === 'range' && port.start > port.end) {
        this.value(m.port.value.loc, scope,
          `the port range ${m.port.value.value} starts after it ends; Liqo's webhook accepts it, but nft refuses it ` +
          `("Range has zero or negative size") and it could never match; write ${port.end}-${port.start}`);
      }
      if (m.dev && m.dev.value.value === '') {
        const which = m.dev.position.value === 'in' ? 'input' : 'output';
        this.value(m.dev.value.loc, scope,
          `the device name is empty; Liqo would install a match on "no ${which} interface", ` +
          `which nftables cannot express and nftlens does not model`);
      } else if (m.dev) {
        // A trailing `*` is matched literally, so nft is given it escaped (`\*`), one byte longer.
        const problem = nftStringProblem(m.dev.value.value.replace(/\*$/, '\\*'), IFNAME_MAX_BYTES);
        if (problem) {
          this.name(m.dev.value.loc, scope,
            `the device name cannot be an interface name (at most ${IFNAME_MAX_BYTES} bytes, a trailing * written \\*, ` +
            `no quote or control character); nft refuses it: ${problem}`);
        }
      }
    }
  }

  private actionValue(chain: Chain, rule: FilterRule): void {
    const scope = { chain, rule };
    const hook = chain.hook.value;
    const value = rule.value;
    const family = this.fc.table.family.value;
    const action = rule.action.value;
    const ct = action === 'ctmark' || action === 'metamarkfromctmark';
    if ((ct && (family === 'ARP' || family === 'NETDEV')) || (family === 'ARP' && (action === 'reject' || action === 'tcpmssclamp'))) {
      this.value(rule.action.loc, scope,
        `the kernel refuses ${action} in an ${family} table (` +
        (ct ? 'no connection tracking there: "Protocol error"' : action === 'reject' ? '"cannot use reject with arp"' : '"conflicting protocols specified: arp vs. tcp"') +
        `); Liqo's webhook accepts it, but ${FAILS}`);
      return;
    }
    switch (rule.action.value) {
      case 'ctmark':
        if (!value) {
          this.value({ ...rule.loc, path: `${rule.loc.path}.value` }, scope,
            `a ctmark rule needs a value (the mark); Liqo accepts the resource, but its gateway crashes on the missing value`);
        } else if (goAtoi(value.value) === undefined) {
          this.value(value.loc, scope,
            `ctmark value ${JSON.stringify(value.value)} is not a decimal integer (hex such as 0x10 is not accepted either); ` +
            `Liqo accepts the resource, but ${FAILS}`);
        }
        break;
      case 'tcpmssclamp': {
        const n = value ? goAtoi(value.value) : 0n;
        if (n === undefined) {
          this.value(value!.loc, scope,
            `tcpmssclamp value ${JSON.stringify(value!.value)} is not a decimal integer ("0" derives the MSS from the route MTU); ` +
            `Liqo accepts the resource, but ${FAILS}`);
        } else if (n !== 0n && BigInt.asUintN(16, n) === 0n) {
          this.value(value!.loc, scope, `tcpmssclamp value ${value!.value} is cut by Liqo to 16 bits, which gives an MSS of 0`);
        } else if (n === 0n && hook !== 'forward' && hook !== 'output' && hook !== 'postrouting') {
          this.value(value?.loc ?? rule.action.loc, scope,
            `clamping the MSS to the route MTU needs a forward, output or postrouting chain: the kernel refuses "rt mtu" in ${hook}`);
        }
        break;
      }
      case 'reject':
        if (hook === 'postrouting') {
          this.value(rule.action.loc, scope, `the kernel refuses reject in a postrouting chain (allowed: prerouting, input, forward, output)`);
        }
        break;
      case 'accept':
      case 'drop':
      case 'metamarkfromctmark':
      case 'notrack':
        break;
    }
  }

  private natValue(chain: Chain, rule: NatRule): void {
    const scope = { chain, rule };
    const hook = chain.hook.value;
    const type = rule.natType.value;
    if (type === 'masquerade' && hook === 'input') {
      this.value(rule.natType.loc, scope,
        `the kernel allows masquerade only in postrouting chains; Liqo's webhook accepts it in input, but the resource fails to apply`);
    }
    const to = rule.to;
    if (!to || type === 'masquerade') return; // the webhook's checkNatRuleTo covers these
    if (to.value === '') {
      if (hook !== 'postrouting') {
        this.value(to.loc, scope,
          `to is empty: Liqo installs a masquerade for it whatever natType says, and the kernel refuses masquerade ` +
          `outside postrouting, so the resource fails to apply; give the address or subnet to ${type} to`);
      }
      return;
    }
    const v = liqoIPValue(to.value);
    if (v && v.type !== 'range') this.ipFamily(to.loc, scope, to.value, ipVersion(v), 'NAT target');
    if (!v) {
      this.value(to.loc, scope,
        `to ${JSON.stringify(to.value)} is not an IP address, subnet or range; Liqo's webhook does not check it and accepts it, but ${FAILS}`);
    } else if (v.type === 'range') {
      const why =
        unmap(v.start).version !== unmap(v.end).version ? 'mixes IPv4 and IPv6'
        : as16(v.start) > as16(v.end) ? 'starts after it ends'
        : undefined;
      if (why) {
        this.value(to.loc, scope,
          `the range ${to.value} ${why}, so it is no address pool; Liqo accepts it and installs the rule without any NAT`);
      }
    }
  }

  /** A table or chain name must be a name nft's text can carry (nft 1.0.6 takes only bare words). */
  private nftName(name: Field<string>, scope: Scope, what: 'table' | 'chain'): void {
    const problem = nftNameProblem(name.value);
    if (problem) this.name(name.loc, scope, `the ${what} name cannot be written for nft: ${problem}`);
  }

  /** An IPv6 value in an IPV4 table (and the reverse, and any in ARP): nft refuses "conflicting protocols". */
  private ipFamily(loc: Loc, scope: Scope, text: string, version: 4 | 6, what: string): void {
    const family = this.fc.table.family.value;
    const wrong = family === 'ARP' || (family === 'IPV4' && version === 6) || (family === 'IPV6' && version === 4);
    if (!wrong) return;
    this.value(loc, scope,
      `${text} is an IPv${version} ${what} in an ${family} table: nft refuses it ("conflicting protocols specified")` +
      (family === 'ARP' ? '' : `; use an ${version === 6 ? 'IPV6 or INET' : 'IPV4 or INET'} table`));
  }

  // ─── emitting ───────────────────────────────────────────────────────────────────────────────

  private hook(code: Code, loc: Loc, scope: Scope, message: string): void {
    const note = this.skip
      ? ` (Liqo's validating webhook would not report this: the resource carries ${WEBHOOK_SKIP_LABEL}: "true")`
      : '';
    this.out.push(diag(code, 'error', message + note, originOf(this.fc, loc, scope)));
  }

  private value(loc: Loc, scope: Scope, message: string): void {
    this.out.push(diag('LIQO_VALUE', 'error', message, originOf(this.fc, loc, scope)));
  }

  private name(loc: Loc, scope: Scope, message: string): void {
    this.out.push(diag('LIQO_NAME', 'error', message, originOf(this.fc, loc, scope)));
  }
}

/** The IP version of a value (a range: of its start, IPv4-mapped counting as IPv4, as in Go). */
function ipVersion(v: IPValue): 4 | 6 {
  return v.type === 'subnet' ? v.cidr.addr.version : unmap(v.type === 'ip' ? v.addr : v.start).version;
}

const NAT_IP_GAP = `Liqo's webhook checks IP values only in filter rules, so it accepts this NAT rule`;
const FAILS = `Liqo's gateway fails to install the resource`;

function allowedHooks(family: TableFamily, type: ChainType): string {
  const hooks = (['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress'] as const).filter((h) =>
    allowedTableFamilyChainTypeHook(family, type, h),
  );
  return hooks.length ? `${type} chains of ${family} tables may use ${hooks.join(', ')}` : `${family} tables cannot have ${type} chains`;
}
