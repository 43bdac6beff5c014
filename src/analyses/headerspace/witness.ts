// Concrete packets from header spaces: `witness` picks one packet of a set, field by field from
// the top of the variable order, each field at the most readable value the set still allows
// (TCP, syn, 10.0.0.1 → 10.0.0.2 or the first host of a prefix, dport 80 or the lowest port,
// ct new, marks 0) — from a BDD (`witness`) or a product of field intervals (`boxWitness`, for the
// geometric analysis); `member` tests one concrete packet. Packets are the engine's (src/engine).

import type { Packet } from '../../engine/packet.js';
import { formatAddress, parseAddress } from '../../model/values.js';
import { CT_STATES, FAMILY_CODE, isMasked, PKT_TYPES, TCP, type BoxRange, type FieldName, type Masked } from './layout.js';
import type { HeaderSpace, Space } from './space.js';

/** A preference: exactly this value if allowed, or the smallest allowed value at or above it. */
type Pref = { exact: bigint } | { atLeast: bigint };

const addrValue = (text: string) => parseAddress(text)!.value;
/** The addresses witnesses prefer: saddr and daddr, IPv4 and IPv6. */
const NICE = { saddr: { 4: addrValue('10.0.0.1'), 6: addrValue('fd00::1') }, daddr: { 4: addrValue('10.0.0.2'), 6: addrValue('fd00::2') } } as const;
/** IP + transport header bytes, as the engine's default packet length counts them. */
const HEADER_BYTES: Record<number, number> = { 6: 20, 17: 8, 1: 8, 58: 8, 136: 8, 132: 12 };

function preferences(field: FieldName, chosen: Map<FieldName, bigint>, min: () => bigint | undefined): Pref[] {
  const v6 = chosen.get('nfproto') === BigInt(FAMILY_CODE[6]);
  switch (field) {
    case 'nfproto':
      return [{ atLeast: 0n }];
    case 'l4proto':
      return [{ exact: BigInt(TCP) }, { exact: 17n }, { atLeast: 0n }];
    case 'tcpflags':
      return chosen.get('l4proto') === BigInt(TCP) ? [{ exact: 2n }, { atLeast: 0n }] : [{ exact: 0n }, { atLeast: 0n }];
    case 'saddr':
    case 'daddr': {
      const lowest = min();
      const next = lowest !== undefined && (v6 || (lowest & 0xffffffffn) !== 0xffffffffn) ? [{ exact: lowest + 1n }] : [];
      return [{ exact: NICE[field][v6 ? 6 : 4] }, ...next, { atLeast: 0n }];
    }
    case 'sport':
      return [{ atLeast: 1024n }, { atLeast: 1n }, { atLeast: 0n }];
    case 'dport':
      return [{ exact: 80n }, { atLeast: 1n }, { atLeast: 0n }];
    case 'mark':
    case 'ctmark':
    case 'iifname':
    case 'oifname':
    case 'ctstate':
    case 'pkttype':
      return [{ atLeast: 0n }];
  }
}

/**
 * The smallest value of a field allowed at or above t (undefined: none), given the values already
 * chosen for the fields before it in variable order; `choose` fixes the field's value.
 */
interface Oracle {
  smallestFrom(field: FieldName, t: bigint): bigint | undefined;
  choose(field: FieldName, v: bigint): void;
}

/** One packet of the set, or undefined if it is empty. */
export function witness(hs: HeaderSpace, s: Space): Packet | undefined {
  if (hs.isEmpty(s)) return undefined;
  const core = hs.core;
  let n: number = s;
  return pick(hs, {
    smallestFrom(field, t) {
      const { first, width } = hs.layout.field(field);
      hs.words(0, t);
      return core.fieldMinAtLeast(n, first, width) ? hs.readWords(4) : undefined;
    },
    choose(field, v) {
      const { first, width } = hs.layout.field(field);
      hs.words(4, v);
      n = core.fieldRestrict(n, first, width);
    },
  });
}

/**
 * One packet of a product of field intervals or masked values (fields not given: any valid
 * value), chosen as `witness` chooses; IPv4 address intervals are on the low 32 bits of the
 * address fields.
 */
export function boxWitness(hs: HeaderSpace, box: ReadonlyMap<FieldName, BoxRange>): Packet {
  const valid: Partial<Record<FieldName, number>> = { ctstate: CT_STATES.length, iifname: hs.ifnames.classes.length, oifname: hs.ifnames.classes.length, pkttype: PKT_TYPES.length };
  // IPv6 packets only: the address intervals are of whole IPv6 addresses.
  const nf = box.get('nfproto') as { lo: bigint; hi: bigint } | undefined;
  const v6 = nf !== undefined && nf.lo === BigInt(FAMILY_CODE[6]) && nf.hi === nf.lo;
  return pick(hs, {
    smallestFrom(field, t) {
      const width = BigInt(hs.layout.field(field).width);
      const r = box.get(field);
      if (r !== undefined && isMasked(r)) return maskedFrom(r, t, width);
      const iv = r;
      const top = valid[field] !== undefined ? BigInt(valid[field]! - 1) : (1n << width) - 1n;
      if ((field === 'saddr' || field === 'daddr') && !v6) {
        // Free high bits: the smallest value ≥ t whose low 32 bits lie in the interval.
        const lo = iv?.lo ?? 0n;
        const hi = iv?.hi ?? 0xffffffffn;
        const high = t >> 32n;
        const low = t & 0xffffffffn;
        const v = low <= hi ? (high << 32n) | (low < lo ? lo : low) : ((high + 1n) << 32n) | lo;
        return v <= top ? v : undefined;
      }
      const lo = iv?.lo ?? 0n;
      const hi = iv?.hi ?? top;
      const v = t < lo ? lo : t;
      return v <= hi ? v : undefined;
    },
    choose() {},
  });
}

/** The smallest x ≥ t of `width` bits with x & mask == value (undefined: none). */
export function maskedFrom(m: Masked, t: bigint, width: bigint): bigint | undefined {
  const top = (1n << width) - 1n;
  if (t > top) return undefined;
  const free = top & ~m.mask;
  // The highest fixed bit where t differs from the value.
  const differ = (t ^ m.value) & m.mask;
  if (differ === 0n) return t;
  let p = width - 1n;
  while (((differ >> p) & 1n) === 0n) p--;
  const above = ~((1n << (p + 1n)) - 1n) & top;
  // t has 0 there: the value's bit makes x larger; the free bits below are 0.
  if (((m.value >> p) & 1n) === 1n) return (t & above & free) | m.value;
  // t has 1 there: the lowest free bit above p where t has 0 becomes 1, the free bits below it 0.
  for (let q = p + 1n; q < width; q++) {
    const bit = 1n << q;
    if ((free & bit) !== 0n && (t & bit) === 0n) return (t & ~((bit << 1n) - 1n) & free) | bit | m.value;
  }
  return undefined;
}

/** Picks every field at its most readable allowed value, and builds the packet. */
function pick(hs: HeaderSpace, oracle: Oracle): Packet {
  const chosen = new Map<FieldName, bigint>();
  for (const field of hs.layout.ordered()) {
    const { width } = hs.layout.field(field);
    const smallestFrom = (t: bigint) => oracle.smallestFrom(field, t);
    let value: bigint | undefined;
    for (const p of preferences(field, chosen, () => smallestFrom(0n))) {
      if ('exact' in p) {
        if (p.exact < 1n << BigInt(width) && smallestFrom(p.exact) === p.exact) value = p.exact;
      } else value = smallestFrom(p.atLeast);
      if (value !== undefined) break;
    }
    if (value === undefined) throw new Error(`witness: no value for ${field} in a non-empty set`);
    oracle.choose(field, value);
    chosen.set(field, value);
  }
  const v = (f: FieldName) => chosen.get(f)!;
  const family = v('nfproto') === BigInt(FAMILY_CODE[6]) ? 6 : 4;
  const addr = (f: 'saddr' | 'daddr') => formatAddress(family === 4 ? v(f) & 0xffffffffn : v(f), family);
  const l4proto = Number(v('l4proto'));
  const ctState = CT_STATES[Number(v('ctstate'))]!;
  const pktType = PKT_TYPES[Number(v('pkttype'))]!;
  // Built directly, not with makePacket: the witness is exactly the chosen header, defaults aside.
  return {
    ...(pktType === 'host' ? {} : { pktType }),
    family,
    saddr: addr('saddr'),
    daddr: addr('daddr'),
    l4proto,
    sport: Number(v('sport')),
    dport: Number(v('dport')),
    iifname: hs.ifnames.classes[Number(v('iifname'))]!.name,
    oifname: hs.ifnames.classes[Number(v('oifname'))]!.name,
    ctState,
    mark: Number(v('mark')),
    ctMark: Number(v('ctmark')),
    tcpFlags: l4proto === TCP ? Number(v('tcpflags')) : 0,
    length: (family === 4 ? 20 : 40) + (HEADER_BYTES[l4proto] ?? 0),
    local: false,
  };
}

/** The header of a concrete packet as the set's variables (free bits of the packet set to 0). */
export function packetBits(hs: HeaderSpace, p: Packet): Map<FieldName, bigint> {
  const addr = (a: string) => parseAddress(a)!.value;
  return new Map<FieldName, bigint>([
    ['nfproto', BigInt(FAMILY_CODE[p.family])],
    ['l4proto', BigInt(p.l4proto)],
    ['tcpflags', BigInt(p.l4proto === TCP ? p.tcpFlags : 0)],
    ['saddr', addr(p.saddr)],
    ['daddr', addr(p.daddr)],
    ['sport', BigInt(p.sport)],
    ['dport', BigInt(p.dport)],
    ['mark', BigInt(p.mark)],
    ['iifname', BigInt(hs.ifnames.classOf(p.iifname))],
    ['oifname', BigInt(hs.ifnames.classOf(p.oifname))],
    ['ctstate', BigInt(CT_STATES.indexOf(p.ctState))],
    ['ctmark', BigInt(p.ctMark)],
    ['pkttype', BigInt(PKT_TYPES.indexOf(p.pktType ?? 'host'))],
  ]);
}

/** Whether a concrete packet's header is in the set. */
export function member(hs: HeaderSpace, s: Space, p: Packet): boolean {
  const bytes = hs.ioBytes();
  for (const [field, value] of packetBits(hs, p)) {
    const { first, width } = hs.layout.field(field);
    for (let i = 0; i < width; i++) bytes[first + i] = Number((value >> BigInt(width - 1 - i)) & 1n);
  }
  return hs.core.member(s) !== 0;
}
