// `icmp type/code/checksum` and `icmpv6 …`: bytes of the transport header, which the model reads
// as the raw transport words — `th sport` is `type << 8 | code`, `th dport` the checksum. nft
// lists what the renderer writes as `meta l4proto icmp th dport X` as `icmp checksum X`, so a
// kernel read-back needs this mapping. Type and code become masked matches on `th sport`:
// `icmp type echo-request` ⇒ `meta nfproto ipv4` + `meta l4proto 1` + `th sport & 0xff00 == 0x0800`.

import type { Item, Match, MatchValue } from '../../model/ruleset.js';
import type { Origin } from '../../model/origin.js';
import { isObject, type Json, type Scope } from './reader.js';
import { readValue } from './value.js';

/** linux/icmp.h, linux/icmpv6.h: the names nft prints for types and codes. */
const NAMES: Record<'icmp' | 'icmpv6', Record<'type' | 'code', Record<string, number>>> = {
  icmp: {
    type: {
      'echo-reply': 0, 'destination-unreachable': 3, 'source-quench': 4, redirect: 5, 'echo-request': 8,
      'router-advertisement': 9, 'router-solicitation': 10, 'time-exceeded': 11, 'parameter-problem': 12,
      'timestamp-request': 13, 'timestamp-reply': 14, 'info-request': 15, 'info-reply': 16,
      'address-mask-request': 17, 'address-mask-reply': 18,
    },
    code: {
      'net-unreachable': 0, 'host-unreachable': 1, 'prot-unreachable': 2, 'port-unreachable': 3,
      'frag-needed': 4, 'net-prohibited': 9, 'host-prohibited': 10, 'admin-prohibited': 13,
    },
  },
  icmpv6: {
    type: {
      'destination-unreachable': 1, 'packet-too-big': 2, 'time-exceeded': 3, 'parameter-problem': 4,
      'echo-request': 128, 'echo-reply': 129, 'mld-listener-query': 130, 'mld-listener-report': 131,
      'mld-listener-done': 132, 'mld-listener-reduction': 132, 'nd-router-solicit': 133, 'nd-router-advert': 134,
      'nd-neighbor-solicit': 135, 'nd-neighbor-advert': 136, 'nd-redirect': 137, 'router-renumbering': 138,
      'ind-neighbor-solicit': 141, 'ind-neighbor-advert': 142, 'mld2-listener-report': 143,
    },
    code: {
      'no-route': 0, 'admin-prohibited': 1, 'addr-unreachable': 3, 'port-unreachable': 4,
      'policy-fail': 5, 'reject-route': 6,
    },
  },
};

const L4: Record<'icmp' | 'icmpv6', number> = { icmp: 1, icmpv6: 58 };

export type IcmpField = 'type' | 'code' | 'checksum';

export function isIcmpField(proto: string, name: string): proto is 'icmp' | 'icmpv6' {
  return (proto === 'icmp' || proto === 'icmpv6') && (name === 'type' || name === 'code' || name === 'checksum');
}

/** The matches for `PROTO NAME OP RIGHT`, or undefined after reporting why not. */
export function readIcmpMatch(
  s: Scope, proto: 'icmp' | 'icmpv6', name: IcmpField, op: string, right: Json, o: Origin, ro: Origin,
): Match[] | undefined {
  if (op !== '==' && op !== '!=' && op !== 'in' && op !== '!') return s.r.unsupported(`${op} on ${proto} ${name}`, o);
  const names = name === 'checksum' ? {} : NAMES[proto][name];
  let unknown: string | undefined;
  const numeric = (v: Json): Json => {
    if (typeof v === 'string' && !/^(0x[0-9a-f]+|[0-9]+)$/i.test(v)) {
      if (v in names) return names[v]!;
      unknown ??= v;
    }
    if (Array.isArray(v)) return v.map(numeric);
    return isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, numeric(x)])) : v;
  };
  const mapped = numeric(right);
  if (unknown !== undefined) return s.r.schema(`"${unknown}" is not an ${proto} ${name}`, ro);
  const value = readValue(s, name === 'checksum' ? 'th dport' : 'th sport', mapped, ro);
  if (value === undefined) return undefined;
  // nft makes the family explicit too (needed in inet tables, always true elsewhere).
  const deps: Match[] = [
    { kind: 'match', field: 'meta nfproto', op: '==', value: proto === 'icmp' ? 'ipv4' : 'ipv6', origin: o },
    { kind: 'match', field: 'meta l4proto', op: '==', value: L4[proto], origin: o },
  ];
  const negate = op === '!=' || op === '!';
  if (name === 'checksum') return [...deps, { kind: 'match', field: 'th dport', op: negate ? '!=' : '==', value, origin: o }];
  const shift = name === 'type' ? 8 : 0;
  const shifted = shiftValue(value, shift);
  if (typeof shifted === 'string') return s.r.schema(`${proto} ${name}: ${shifted}`, ro);
  return [...deps, { kind: 'match', field: 'th sport', op: negate ? '!=' : '==', mask: 0xff << shift, value: shifted, origin: o }];
}

function shiftValue(v: MatchValue, shift: number): MatchValue | string {
  const one = (x: Item): Item | string => {
    if (typeof x === 'number') return x > 0xff ? `${x} does not fit one byte` : x << shift;
    if (typeof x === 'object' && 'range' in x) {
      const [lo, hi] = x.range.map((b) => one(b as number));
      return typeof lo === 'string' ? lo : typeof hi === 'string' ? hi : { range: [lo as number, hi as number] };
    }
    return `${JSON.stringify(x)} is not a number`;
  };
  if (typeof v === 'object' && 'set' in v) {
    const set: Item[] = [];
    for (const x of v.set) {
      const r = one(x);
      if (typeof r === 'string') return r;
      set.push(r);
    }
    return { set };
  }
  return one(v);
}
