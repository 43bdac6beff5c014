// The header layout of the analyzer, declared once: which packet field each BDD variable stands
// for, in which order (variable 0 is the top of every diagram) and with how many bits. The TS side
// (src/analyses/headerspace/layout.ts) reads it back from the module's exports — FIELD_* ids,
// fieldFirst/fieldWidth — so the order and widths are written nowhere else.

// Addresses: one 128-bit field each, IPv4 in the low 32 bits, rather than separate v4 and v6
// fields. A rule reads `ip saddr` or `ip6 saddr`, never both, so one field serves both with no
// extra variables, and an IPv4 set never tests the high 96 bits: they stay free (no nodes) for
// IPv4 headers, and the TS side divides them out when counting. Constraining them to zero
// instead would put a 96-node chain above every distinct IPv4 address subgraph.
//
// Field ids. A field's id is also its rank in the variable order; each field's bits run MSB first.
// The order is chosen for firewall rules: the family and protocol split the space first (and keep
// `tcp flags` next to the protocol it depends on), then the 5-tuple that most rules constrain,
// then the meta mark, and last the small enumerated fields that every space restricts to their
// valid codes (so that restriction is one shared tail, not a copy under every address subtree),
// with the ct mark right below the ct state that decides whether it exists, and the link-layer
// packet type last (most rules never test it).
export const FIELD_NFPROTO: i32 = 0; //   1 bit: 0 = ipv4, 1 = ipv6
export const FIELD_L4PROTO: i32 = 1; //   8: IANA protocol number
export const FIELD_TCPFLAGS: i32 = 2; //  8: TCP header byte 13 (free for non-TCP packets)
export const FIELD_SADDR: i32 = 3; //   128: IPv6 address, or IPv4 in the low 32 bits (high 96 free)
export const FIELD_DADDR: i32 = 4; //   128: likewise
export const FIELD_SPORT: i32 = 5; //    16: first 16-bit word of the transport header
export const FIELD_DPORT: i32 = 6; //    16: second 16-bit word
export const FIELD_MARK: i32 = 7; //     32: meta mark
export const FIELD_IIFNAME: i32 = 8; //   k: interned input interface name class
export const FIELD_OIFNAME: i32 = 9; //   k: interned output interface name class
export const FIELD_CTSTATE: i32 = 10; //  3: ct state index (5 values)
export const FIELD_CTMARK: i32 = 11; // 32: ct mark (free when the packet has no conntrack entry)
export const FIELD_PKTTYPE: i32 = 12; // 2: meta pkttype (0 host, 1 broadcast, 2 multicast)
export const FIELD_COUNT: i32 = 13;

/** Widths by field id; 0 marks the interface-name fields, whose width `init` receives. */
const WIDTH: usize = memory.data<u8>([1, 8, 8, 128, 128, 16, 16, 32, 0, 0, 3, 32, 2]);
/** First variable of each field, filled by `layoutInit`. */
const FIRST: usize = memory.data(FIELD_COUNT * 4);
const WIDTHS: usize = memory.data(FIELD_COUNT * 4);

/** Lays the fields out for `ifnameBits`-bit interface ids; returns the number of variables. */
export function layoutInit(ifnameBits: i32): i32 {
  let v = 0;
  for (let f = 0; f < FIELD_COUNT; f++) {
    let w = <i32>load<u8>(WIDTH + f);
    if (w == 0) w = ifnameBits;
    store<i32>(FIRST + (f << 2), v);
    store<i32>(WIDTHS + (f << 2), w);
    v += w;
  }
  return v;
}

export function fieldFirst(field: i32): i32 {
  return load<i32>(FIRST + (field << 2));
}

export function fieldWidth(field: i32): i32 {
  return load<i32>(WIDTHS + (field << 2));
}
