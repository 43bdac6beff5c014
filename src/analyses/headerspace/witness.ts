// Concrete packets from header spaces: `witness` picks one packet of a set, field by field from
// the top of the variable order, each field at the most readable value the set still allows
// (TCP, syn, 10.0.0.1 → 10.0.0.2 or the first host of a prefix, dport 80 or the lowest port,
// ct new, marks 0); `member` tests one concrete packet. Packets are the engine's (src/engine).

import type { Packet } from '../../engine/packet.js';
import { formatAddress, parseAddress } from '../../model/values.js';
import { CT_STATES, FAMILY_CODE, TCP, type FieldName } from './layout.js';
import type { HeaderSpace, Space } from './space.js';

/** A preference: exactly this value if allowed, or the smallest allowed value at or above it. */
type Pref = { exact: bigint } | { atLeast: bigint };

const addrValue = (text: string) => parseAddress(text)!.value;
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
      const nice = field === 'saddr' ? (v6 ? 'fd00::1' : '10.0.0.1') : v6 ? 'fd00::2' : '10.0.0.2';
      const lowest = min();
      const next = lowest !== undefined && (v6 || (lowest & 0xffffffffn) !== 0xffffffffn) ? [{ exact: lowest + 1n }] : [];
      return [{ exact: addrValue(nice) }, ...next, { atLeast: 0n }];
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
      return [{ atLeast: 0n }];
  }
}

/** One packet of the set, or undefined if it is empty. */
export function witness(hs: HeaderSpace, s: Space): Packet | undefined {
  if (hs.isEmpty(s)) return undefined;
  const core = hs.core;
  const chosen = new Map<FieldName, bigint>();
  let n: number = s;
  for (const field of hs.layout.ordered()) {
    const { first, width } = hs.layout.field(field);
    const smallestFrom = (t: bigint): bigint | undefined => {
      hs.words(0, t);
      return core.fieldMinAtLeast(n, first, width) ? hs.readWords(4) : undefined;
    };
    let value: bigint | undefined;
    for (const p of preferences(field, chosen, () => smallestFrom(0n))) {
      if ('exact' in p) {
        if (p.exact < 1n << BigInt(width) && smallestFrom(p.exact) === p.exact) value = p.exact;
      } else value = smallestFrom(p.atLeast);
      if (value !== undefined) break;
    }
    if (value === undefined) throw new Error(`witness: no value for ${field} in a non-empty set`);
    hs.words(4, value);
    n = core.fieldRestrict(n, first, width);
    chosen.set(field, value);
  }
  const v = (f: FieldName) => chosen.get(f)!;
  const family = v('nfproto') === BigInt(FAMILY_CODE[6]) ? 6 : 4;
  const addr = (f: 'saddr' | 'daddr') => formatAddress(family === 4 ? v(f) & 0xffffffffn : v(f), family);
  const l4proto = Number(v('l4proto'));
  const ctState = CT_STATES[Number(v('ctstate'))]!;
  // Built directly, not with makePacket: a set may hold headers the engine's packet parser refuses
  // as unlikely (an IPv4 packet with protocol 58), and the witness must still be that header.
  return {
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
