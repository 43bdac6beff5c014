// Random IR matches of every field and value form, and random packets biased towards the values
// the matches mention, for the encoder's property tests; plus a concrete matcher written straight
// from src/model/values.ts (the semantics the encoder must reproduce).

import fc from 'fast-check';
import type { Packet } from '../../../src/engine/packet.js';
import type { Item, Match, MatchField } from '../../../src/model/ruleset.js';
import {
  CT_STATE, FIELDS, NFPROTO, ifnameMatches, parseAddress, valueIntervals, valueItems, type CtState,
} from '../../../src/model/values.js';

export const V4 = ['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.1.0', '10.255.255.255', '192.168.1.1', '0.0.0.0', '255.255.255.255'];
export const V6 = ['fd00::', 'fd00::1', 'fd00::2', 'fd00::1:0', '::', 'ffff::1', '::ffff:10.0.0.1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'];
export const IFPATTERNS = ['eth0', 'eth1', 'eth*', 'liqo*', 'liqo-tun', '*', 'veth\\*', 'averyveryverylongname*', 'lo'];
export const IFNAMES = ['eth0', 'eth1', 'eth2', 'liqo-tun', 'liqo0', 'veth*', 'vethX', 'lo', 'x', ''];
const CTS = Object.keys(CT_STATE) as CtState[];
const PORTS = [0, 1, 22, 79, 80, 81, 88, 443, 1023, 1024, 65535];

const addrItem = (pool: string[], bits: number): fc.Arbitrary<Item> =>
  fc.oneof(
    fc.constantFrom(...pool),
    fc.record({ prefix: fc.constantFrom(...pool), len: fc.integer({ min: 0, max: bits }) }),
    fc.tuple(fc.constantFrom(...pool), fc.constantFrom(...pool)).map(([a, b]): Item => ({ range: [a, b] })),
  );

const uintItem = (bits: number, names: string[] = []): fc.Arbitrary<Item> => {
  const n = bits === 16 ? fc.constantFrom(...PORTS) : fc.oneof(fc.integer({ min: 0, max: 2 ** bits - 1 }), fc.constantFrom(0, 1, 6, 17, 0x10, 0xff));
  const atom = names.length ? fc.oneof(n, fc.constantFrom(...names)) : n;
  return fc.oneof(atom, fc.tuple(n, n).map(([a, b]): Item => ({ range: [a, b] })));
};

function itemFor(field: MatchField): fc.Arbitrary<Item> {
  switch (field) {
    case 'ip saddr':
    case 'ip daddr':
      return addrItem(V4, 32);
    case 'ip6 saddr':
    case 'ip6 daddr':
      return addrItem(V6, 128);
    case 'ip protocol':
    case 'meta l4proto':
      return uintItem(8, ['tcp', 'udp', 'icmp']);
    case 'meta nfproto':
      return fc.constantFrom('ipv4', 'ipv6');
    case 'th sport':
    case 'th dport':
      return uintItem(16).map((i) => (typeof i === 'number' ? i & 0xffff : i));
    case 'meta iifname':
    case 'meta oifname':
      return fc.constantFrom(...IFPATTERNS);
    case 'ct state':
      return fc.constantFrom(...CTS);
    case 'ct mark':
    case 'meta mark':
      return uintItem(32);
    case 'tcp flags':
      return uintItem(8, ['syn', 'ack', 'fin', 'rst']);
    case 'ct status':
    case 'meta pkttype':
      throw new Error(`the header space does not encode ${field} (the analyses refuse it)`);
  }
}

// Every field the header space encodes (ct status and meta pkttype it does not: the analyses refuse them).
export const FIELD_LIST = (Object.keys(FIELDS) as MatchField[]).filter((f) => f !== 'ct status' && f !== 'meta pkttype');

export function matchOf(field: MatchField): fc.Arbitrary<Match> {
  const item = itemFor(field);
  const uint = FIELDS[field].kind === 'uint';
  return fc.record({
    value: fc.oneof(item, fc.array(item, { minLength: 1, maxLength: 3 }).map((set) => ({ set }))),
    op: fc.constantFrom('==' as const, '!=' as const),
    mask: uint ? fc.option(fc.oneof(fc.constantFrom(0, 0xff, 0x12, 0xf0), fc.integer({ min: 0, max: 2 ** FIELDS[field].bits - 1 })), { nil: undefined }) : fc.constant(undefined),
  }).map(({ value, op, mask }) => {
    const m: Match = { kind: 'match', field, op, value, origin: { rule: 'random' } };
    if (mask !== undefined) m.mask = mask;
    return m;
  });
}

export const anyMatch: fc.Arbitrary<Match> = fc.constantFrom(...FIELD_LIST).chain(matchOf);

const near = (pool: number[], bits: number) =>
  fc.oneof(fc.constantFrom(...pool), fc.integer({ min: 0, max: 2 ** bits - 1 }));

export const anyPacket: fc.Arbitrary<Packet> = fc
  .record({
    family: fc.constantFrom(4 as const, 6 as const),
    s4: fc.constantFrom(...V4), d4: fc.constantFrom(...V4), s6: fc.constantFrom(...V6), d6: fc.constantFrom(...V6),
    l4proto: fc.constantFrom(6, 17, 1, 58, 0, 255),
    sport: near(PORTS, 16), dport: near(PORTS, 16),
    iifname: fc.constantFrom(...IFNAMES), oifname: fc.constantFrom(...IFNAMES),
    ctState: fc.constantFrom(...CTS),
    mark: near([0, 0x10, 0xff, 1, 6], 32), ctMark: near([0, 0x10, 0xff, 1, 6], 32),
    tcpFlags: near([0, 2, 0x12, 0x10], 8),
  })
  .map((r): Packet => ({
    family: r.family,
    saddr: r.family === 4 ? r.s4 : r.s6,
    daddr: r.family === 4 ? r.d4 : r.d6,
    l4proto: r.l4proto, sport: r.sport, dport: r.dport, iifname: r.iifname, oifname: r.oifname,
    ctState: r.ctState, mark: r.mark, ctMark: r.ctMark, tcpFlags: r.tcpFlags,
    length: 60, local: false,
  }));

/** A match on a packet, straight from values.ts and the dependencies nft adds. */
export function concreteMatch(m: Match, p: Packet): boolean {
  const info = FIELDS[m.field];
  if (info.nfproto && NFPROTO[info.nfproto] !== (p.family === 4 ? NFPROTO.ipv4 : NFPROTO.ipv6)) return false;
  if (info.l4proto !== undefined && p.l4proto !== info.l4proto) return false;
  if (m.field === 'ct mark' && !['new', 'established', 'related'].includes(p.ctState)) return false;
  let inside: boolean;
  if (info.kind === 'ifname') {
    const name = m.field === 'meta iifname' ? p.iifname : p.oifname;
    inside = valueItems(m.value).some((pat) => ifnameMatches(pat as string, name));
  } else {
    let x = fieldValue(m.field, p);
    if (m.mask !== undefined) x &= BigInt(m.mask);
    const ivs = valueIntervals(m.field, m.value);
    if (typeof ivs === 'string') throw new Error(ivs);
    inside = ivs.some((iv) => iv.lo <= x && x <= iv.hi);
  }
  return m.op === '==' ? inside : !inside;
}

function fieldValue(field: MatchField, p: Packet): bigint {
  switch (field) {
    case 'ip saddr':
    case 'ip6 saddr': return parseAddress(p.saddr)!.value;
    case 'ip daddr':
    case 'ip6 daddr': return parseAddress(p.daddr)!.value;
    case 'ip protocol':
    case 'meta l4proto': return BigInt(p.l4proto);
    case 'meta nfproto': return BigInt(p.family === 4 ? NFPROTO.ipv4 : NFPROTO.ipv6);
    case 'th sport': return BigInt(p.sport);
    case 'th dport': return BigInt(p.dport);
    case 'ct state': return BigInt(CT_STATE[p.ctState]!);
    case 'ct mark': return BigInt(p.ctMark);
    case 'meta mark': return BigInt(p.mark);
    case 'tcp flags': return BigInt(p.tcpFlags);
    case 'meta iifname':
    case 'meta oifname': throw new Error('names are matched by pattern');
    case 'ct status':
    case 'meta pkttype': throw new Error(`the header space does not encode ${field}`);
  }
}
