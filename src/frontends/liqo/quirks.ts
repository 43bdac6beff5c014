// Warnings (LIQO_QUIRK) wherever Liqo's gateway installs something other than the plain meaning
// nftlens models — the "Translation quirks" of fixtures/liqo/README.md, read from
// pkg/firewall/utils/{match,filterule,natrule,routerule}.go — plus gaps of Liqo's webhook that
// make a resource behave unexpectedly. Each message says, for an operator, what Liqo does instead.
// Runs on a validated resource; the model itself is never changed here.

import { diag, type Diagnostic } from '../../model/diagnostics.js';
import { prefixMask } from '../../model/values.js';
import type { Chain, FilterRule, FirewallConfiguration, Loc, Match, NatRule } from './types.js';
import { chainRules } from './types.js';
import { addressText, goAtoi, liqoIPValue, liqoPortValue, unmap, type IPValue } from './values.js';
import { originOf, type Scope } from './where.js';

export function quirkWarnings(fc: FirewallConfiguration): Diagnostic[] {
  const out: Diagnostic[] = [];
  const warn = (loc: Loc, scope: Scope, message: string) =>
    out.push(diag('LIQO_QUIRK', 'warning', message, originOf(fc, loc, scope)));
  const family = fc.table.family.value;

  for (const chain of fc.table.chains) {
    const routes = chain.rules.routeRules;
    if (chain.type.value === 'route' && routes && routes.items.length > 0) {
      warn(routes.loc, { chain },
        `Liqo installs nothing for route rules (its route-rule translation is not implemented): chain ${chain.name.value} ` +
        `is created empty, with only its hook, priority and policy; nftlens models it the same way`);
    }
    for (const rule of chainRules(chain)) {
      if (rule.list === 'routeRules') continue;
      const scope = { chain, rule };
      for (const m of rule.match.items) matchQuirks(m, scope, family, warn);
      const ports = rule.match.items.filter((m) => m.port);
      if (ports.length > 0 && !rule.match.items.some((m) => m.proto)) {
        const port = ports[0]!.port!;
        warn(port.loc, scope,
          `this port match has no proto match in its rule: Liqo (like nftlens' model, "th ${port.position.value === 'src' ? 'sport' : 'dport'}") ` +
          `reads the two bytes where a TCP/UDP port would be in ANY transport protocol, so ICMP, ESP or GRE packets can match too; ` +
          `add "proto: tcp" or "proto: udp" if that is not intended`);
      }
      if (rule.list === 'filterRules') filterQuirks(fc, chain, rule, warn);
      else natQuirks(fc, chain, rule, warn);
    }
  }
  return out;
}

type Warn = (loc: Loc, scope: Scope, message: string) => void;

function matchQuirks(m: Match, scope: Scope, family: string, warn: Warn): void {
  const neq = m.op.value === 'neq';
  const fields = (['proto', 'dev', 'ip', 'port', 'ctstate'] as const).filter((k) => m[k]);
  if (neq && fields.length > 1) {
    warn(m.op.loc, scope,
      `op: neq applies to each field of this entry separately (${fields.map((f) => `${f} !=`).join(' AND ')}), ` +
      `not to the entry as a whole (NOT (${fields.join(' AND ')})); nftlens models it as Liqo installs it, field by field` +
      (m.proto ? ', except that Liqo ignores neq for proto (see the proto warning)' : ''));
  }
  if (m.proto && neq) {
    warn(m.proto.loc, scope,
      `Liqo ignores op: neq for proto: it installs "meta l4proto ${m.proto.value.value}" (equal), ` +
      `while the resource says "not ${m.proto.value.value}"; nftlens models "not ${m.proto.value.value}"`);
  }
  if (m.port) {
    const text = m.port.value.value;
    const p = liqoPortValue(text);
    if (p?.type === 'range') {
      if (neq) {
        warn(m.port.value.loc, scope,
          `Liqo ignores op: neq for port ranges: it installs "port in ${p.start}-${p.end}", while the resource says ` +
          `"port not in ${p.start}-${p.end}"; nftlens models "not in"`);
      }
    } else if (p && (p.raw < 0n || p.raw > 65535n)) {
      warn(m.port.value.loc, scope,
        `port ${text} is not a 16-bit port: Liqo keeps its lowest 16 bits and installs port ${p.port}; nftlens models port ${p.port}`);
    }
  }
  if (m.ip) {
    const v = liqoIPValue(m.ip.value.value);
    if (v) ipQuirks(v, m, scope, family, warn);
  }
  if (m.dev) {
    const name = m.dev.value.value;
    if (name.endsWith('*')) {
      warn(m.dev.value.loc, scope,
        `Liqo compares device names literally: "${name}" matches only an interface named exactly that, ` +
        `not every name starting with "${name.slice(0, -1)}" as nft's wildcard would; nftlens models the literal name`);
    }
  }
}

function ipQuirks(v: IPValue, m: Match, scope: Scope, family: string, warn: Warn): void {
  const loc = m.ip!.value.loc;
  const text = m.ip!.value.value;
  const v6 = v.type === 'subnet' ? v.cidr.addr.version === 6 : unmap(v.type === 'ip' ? v.addr : v.start).version === 6;
  // In an IPV4 table an IPv6 value is an error (validate.ts: nft refuses it).
  if (v6 && family !== 'IPV4') {
    warn(loc, scope,
      `${text} is an IPv6 value: Liqo's webhook accepts it, but Liqo's gateway matches only IPv4 addresses ` +
      `(it takes the IPv4 form of the value, which IPv6 values lack) and fails to install the resource; nftlens models an ip6 match`);
  }
  if (v.type === 'subnet') {
    const { addr, len, bits } = v.cidr;
    const network = addr.value & prefixMask(len, bits);
    if (network !== addr.value) {
      const net = addressText({ version: addr.version, value: network });
      warn(loc, scope,
        `${text} has host bits set: Liqo installs "(address & /${len}) ${m.op.value === 'eq' ? '==' : '!='} ${addressText(addr)}", ` +
        `which ${m.op.value === 'eq' ? 'never matches any packet' : 'matches every packet'}; nftlens models the subnet ${net}/${len}. ` +
        `Write ${net}/${len} if the subnet is meant`);
    }
  }
  if (!v6 && family !== 'IPV4') {
    const others =
      family === 'INET' || family === 'IPV6'
        ? 'IPv6 packets are compared on bytes inside their source address'
        : 'non-IPv4 packets are compared on whatever lies there';
    warn(loc, scope,
      `Liqo matches IP values on bytes 12-15 (src) or 16-19 (dst) of the network header without checking that the packet ` +
      `is IPv4, in every table family; in this ${family} table ${others}, ` +
      `so they can match too; nftlens models a match on IPv4 packets only`);
  }
}

function filterQuirks(fc: FirewallConfiguration, chain: Chain, rule: FilterRule, warn: Warn): void {
  const scope = { chain, rule };
  const family = fc.table.family.value;
  switch (rule.action.value) {
    case 'reject': {
      const how =
        family === 'IPV4'
          ? 'an ICMP "net unreachable" error (type 3 code 0)'
          : family === 'IPV6'
            ? 'an ICMPv6 "no route to destination" error (type 1 code 0)'
            : 'an ICMP/ICMPv6 error of code 0 ("net unreachable" / "no route")';
      warn(rule.action.loc, scope,
        `Liqo installs reject as ${how}, not nft's default "port unreachable"; senders see a routing error. nftlens models a plain reject`);
      break;
    }
    case 'ctmark': {
      const n = rule.value ? goAtoi(rule.value.value) : undefined;
      if (n !== undefined && (n < 0n || n > 0xffffffffn)) {
        warn(rule.value!.loc, scope,
          `ctmark value ${rule.value!.value} is not a 32-bit mark: Liqo keeps its lowest 32 bits and sets mark ` +
          `${BigInt.asUintN(32, n)}; nftlens models ${BigInt.asUintN(32, n)}`);
      }
      break;
    }
    case 'metamarkfromctmark':
      if (rule.value) {
        warn(rule.value.loc, scope, `metamarkfromctmark copies the conntrack mark into the packet mark; Liqo ignores this value`);
      }
      break;
    case 'notrack': {
      const early = (chain.hook.value === 'prerouting' || chain.hook.value === 'output') && chain.priority.value < -200;
      if (!early) {
        warn(rule.action.loc, scope,
          `notrack has an effect only before connection tracking, in a prerouting or output chain with priority below -200; ` +
          `in this ${chain.hook.value} chain (priority ${chain.priority.value}) conntrack has already seen the packet, ` +
          `and Liqo installs it without a warning`);
      }
      break;
    }
    case 'tcpmssclamp': {
      if (rule.counter.value) {
        warn(rule.counter.loc, scope,
          `the counter of a tcpmssclamp rule comes before the SYN test (Liqo puts the SYN test in the action): ` +
          `it counts every packet that passes the matches, not only the SYNs whose MSS is clamped`);
      }
      const n = rule.value ? goAtoi(rule.value.value) : 0n;
      if (n !== undefined && n !== 0n && (n < 0n || n > 65535n)) {
        warn(rule.value!.loc, scope,
          `MSS ${rule.value!.value} is not a 16-bit value: Liqo keeps its lowest 16 bits and sets MSS ` +
          `${BigInt.asUintN(16, n)}; nftlens models ${BigInt.asUintN(16, n)}`);
      }
      break;
    }
    case 'accept':
    case 'drop':
      break;
  }
}

function natQuirks(fc: FirewallConfiguration, chain: Chain, rule: NatRule, warn: Warn): void {
  const scope = { chain, rule };
  const to = rule.to;
  if (!to || rule.natType.value === 'masquerade') return;
  if (to.value === '') {
    warn(to.loc, scope,
      `to is empty: Liqo installs a masquerade (the outgoing interface's address) whatever natType says, ` +
      `instead of ${rule.natType.value} to a given address; nftlens models the masquerade`);
    return;
  }
  const v = liqoIPValue(to.value);
  if (!v) return;
  if (v.type === 'range') {
    warn(to.loc, scope,
      `Liqo installs no NAT at all for a range in to: the rule keeps only its matches and translates nothing; ` +
      `nftlens models ${rule.natType.value} to the address pool ${to.value}. Use a single address or a subnet`);
    return;
  }
  const v6 = v.type === 'subnet' ? v.cidr.addr.version === 6 : unmap(v.addr).version === 6;
  if (v6 && fc.table.family.value !== 'IPV4') {
    warn(to.loc, scope,
      `${to.value} is an IPv6 target: Liqo's gateway translates only to IPv4 addresses and fails to install this rule; ` +
      `nftlens models ${rule.natType.value} to ${to.value}`);
  }
  if (fc.table.family.value === 'INET') {
    warn(to.loc, scope,
      `Liqo gives ${rule.natType.value} the table's family, inet, and the kernel refuses an address-based ${rule.natType.value} ` +
      `with family inet: the resource fails to apply. Use an IPV4 table for ${rule.natType.value} to an address`);
  }
}
