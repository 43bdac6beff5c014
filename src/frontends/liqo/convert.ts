// Converts one validated FirewallConfiguration (source model) into an IR Table with the plain
// meaning of the resource, in the expression order Liqo's gateway emits (pkg/firewall/utils):
// per match entry proto, dev, ip, port (then ctstate: where Liqo's gateway puts it is not known here,
// and the order does not change the meaning); entries in list order; then the counter; then the action.
// Where Liqo installs something else, quirks.ts warns; this file never guesses what Liqo meant.
// Input must have passed validate.ts: malformed values are a caller bug (MODEL_INVALID).

import { NftlensError } from '../../model/diagnostics.js';
import type { Origin } from '../../model/origin.js';
import type { Chain as IrChain, Expr, Item, Match as IrMatch, MatchField, Rule, Table, Verdict } from '../../model/ruleset.js';
import { L4PROTO, prefixMask, TCP_FLAGS } from '../../model/values.js';
import {
  chainRules, type Chain, type FilterRule, type FirewallConfiguration, type Loc, type Match, type NatRule,
} from './types.js';
import { addressText, goAtoi, liqoIPValue, liqoPortValue, unmap, type IPValue } from './values.js';
import { IR_FAMILY, originOf, type Scope } from './where.js';

export function convertFirewallConfiguration(fc: FirewallConfiguration): Table {
  return {
    family: IR_FAMILY[fc.table.family.value],
    name: fc.table.name.value,
    chains: fc.table.chains.map((c) => convertChain(fc, c)),
    labels: { ...fc.labels },
    origin: originOf(fc, fc.table.loc),
  };
}

function convertChain(fc: FirewallConfiguration, chain: Chain): IrChain {
  const rules: Rule[] = [];
  for (const rule of chainRules(chain)) {
    switch (rule.list) {
      case 'filterRules':
        rules.push(filterRule(fc, chain, rule));
        break;
      case 'natRules':
        rules.push(natRule(fc, chain, rule));
        break;
      case 'routeRules':
        break; // Liqo installs nothing for route rules; quirks.ts says so.
    }
  }
  return {
    name: chain.name.value,
    base: { type: chain.type.value, hook: chain.hook.value, priority: chain.priority.value, policy: chain.policy.value },
    rules,
    origin: originOf(fc, chain.loc, { chain }),
  };
}

function filterRule(fc: FirewallConfiguration, chain: Chain, rule: FilterRule): Rule {
  const at = (loc: Loc) => originOf(fc, loc, { chain, rule });
  const exprs: Expr[] = matches(fc, { chain, rule }, rule.match.items);
  if (rule.counter.value) exprs.push({ kind: 'counter', origin: at(rule.counter.loc) });
  const o = at(rule.action.loc);
  let verdict: Verdict | undefined;
  switch (rule.action.value) {
    case 'accept':
    case 'drop':
    case 'reject':
      verdict = { kind: rule.action.value, origin: o };
      break;
    case 'ctmark':
      exprs.push({ kind: 'set-mark', key: 'ct mark', value: Number(BigInt.asUintN(32, integer(rule.value?.value, o))), origin: o });
      break;
    case 'metamarkfromctmark':
      exprs.push({ kind: 'set-mark', key: 'meta mark', value: 'ct mark', origin: o });
      break;
    case 'notrack':
      exprs.push({ kind: 'notrack', origin: o });
      break;
    case 'tcpmssclamp': {
      // The SYN test belongs to the action: it comes after the counter.
      exprs.push({ kind: 'match', field: 'tcp flags', op: '!=', mask: TCP_FLAGS.syn!, value: 0, origin: o });
      const n = rule.value ? integer(rule.value.value, o) : 0n;
      exprs.push({ kind: 'mss-clamp', size: n === 0n ? 'rt mtu' : Number(BigInt.asUintN(16, n)), origin: o });
      break;
    }
  }
  return { exprs, ...(verdict ? { verdict } : {}), comment: rule.name!.value, origin: at(rule.loc) };
}

function natRule(fc: FirewallConfiguration, chain: Chain, rule: NatRule): Rule {
  const at = (loc: Loc) => originOf(fc, loc, { chain, rule });
  const exprs: Expr[] = matches(fc, { chain, rule }, rule.match.items);
  const to = rule.to;
  if (rule.natType.value === 'masquerade' || !to || to.value === '') {
    exprs.push({ kind: 'nat', type: 'masquerade', origin: at(to?.loc ?? rule.natType.loc) });
  } else {
    const v = liqoIPValue(to.value);
    const o = at(to.loc);
    if (!v) throw invalid(`to ${JSON.stringify(to.value)} is not an address`, o);
    exprs.push({ kind: 'nat', type: rule.natType.value, to: ipItem(v).item, origin: o });
  }
  return { exprs, comment: rule.name!.value, origin: at(rule.loc) };
}

/** The matches of a list of entries: per entry proto, dev, ip, port (Liqo's `applyMatch` order), then ctstate. */
function matches(fc: FirewallConfiguration, scope: Scope, entries: readonly Match[]): IrMatch[] {
  const out: IrMatch[] = [];
  for (const m of entries) {
    const op = m.op.value === 'eq' ? '==' : '!=';
    const push = (field: MatchField, value: IrMatch['value'], loc: Loc) =>
      out.push({ kind: 'match', field, op, value, origin: originOf(fc, loc, scope) });
    if (m.proto) push('meta l4proto', L4PROTO[m.proto.value.value]!, m.proto.value.loc);
    if (m.dev) {
      // Liqo compares the name literally; a trailing `*` is escaped so the IR does not read a wildcard.
      const name = m.dev.value.value.replace(/\*$/, '\\*');
      push(m.dev.position.value === 'in' ? 'meta iifname' : 'meta oifname', name, m.dev.value.loc);
    }
    if (m.ip) {
      const v = liqoIPValue(m.ip.value.value);
      if (!v) throw invalid(`${m.ip.value.value} is not an IP value`, originOf(fc, m.ip.value.loc, scope));
      const { version, item } = ipItem(v);
      const field = `${version === 4 ? 'ip' : 'ip6'} ${m.ip.position.value === 'src' ? 'saddr' : 'daddr'}` as MatchField;
      push(field, item, m.ip.value.loc);
    }
    if (m.port) {
      const p = liqoPortValue(m.port.value.value);
      if (!p) throw invalid(`${m.port.value.value} is not a port`, originOf(fc, m.port.value.loc, scope));
      const field = m.port.position.value === 'src' ? 'th sport' : 'th dport';
      push(field, p.type === 'range' ? { range: [p.start, p.end] } : p.port, m.port.value.loc);
    }
    // eq: the state is one of those listed (nft's `ct state a,b`); neq: none of them, as op reads for the
    // other fields (Liqo's own ctstate rendering was not at hand to check neq against).
    if (m.ctstate) push('ct state', { set: m.ctstate.value.map((v) => v.value) }, m.ctstate.loc);
  }
  return out;
}

/** An IP value as an IR item: an address, a prefix (network address, as net.ParseCIDR gives), a range. */
export function ipItem(v: IPValue): { version: 4 | 6; item: Item } {
  switch (v.type) {
    case 'ip': {
      const a = unmap(v.addr);
      return { version: a.version, item: addressText(a) };
    }
    case 'subnet': {
      const { addr, len, bits } = v.cidr;
      const network = { version: addr.version, value: addr.value & prefixMask(len, bits) };
      return { version: addr.version, item: { prefix: addressText(network), len } };
    }
    case 'range': {
      const s = unmap(v.start);
      const e = unmap(v.end);
      return { version: s.version, item: { range: [addressText(s), addressText(e)] } };
    }
  }
}

function integer(text: string | undefined, origin: Origin): bigint {
  const n = text === undefined ? undefined : goAtoi(text);
  if (n === undefined) throw invalid(`${JSON.stringify(text ?? null)} is not an integer`, origin);
  return n;
}

function invalid(what: string, origin: Origin): NftlensError {
  return NftlensError.of('MODEL_INVALID', `unvalidated FirewallConfiguration reached the converter: ${what}`, origin);
}
