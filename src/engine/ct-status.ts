// The conntrack status `ct status` reads (nf_conntrack_common.h IPS_*), as the engine gives it,
// checked on the kernel (test/probe/semantics-exprs.test.ts):
// - a connection's first packet (ct new) starts at 0. Once any nat chain exists in its family,
//   nf_nat runs at all four NAT points (prerouting and output at -100, input and postrouting at
//   100), setting DST_NAT_DONE or SRC_NAT_DONE there (a null binding when no rule NATs), and
//   DST_NAT / SRC_NAT when the mapping changed the tuple. CONFIRMED only comes once the packet
//   has left the last hook, so the first packet never reads it.
// - any other packet (established, related) belongs to a connection that saw its reply:
//   CONFIRMED | SEEN_REPLY (conntrack sets SEEN_REPLY before the hooks see the first reply),
//   the NAT_DONE bits when its family has nat chains, and DST_NAT / SRC_NAT and ASSURED as the
//   caller says (flow.ts: the first packet's NAT; a TCP handshake's third packet is assured). A
//   lone packet carries no such history: it is taken as un-NATed and not assured (ASSURED also
//   comes to a UDP stream after 2 s), as the probe's replies are.

import { IPS_ASSURED, IPS_CONFIRMED, IPS_DST_NAT, IPS_DST_NAT_DONE, IPS_SEEN_REPLY, IPS_SRC_NAT, IPS_SRC_NAT_DONE } from './layout.js';
import type { Plan } from './plan.js';

export { IPS_DST_NAT, IPS_DST_NAT_DONE, IPS_SRC_NAT, IPS_SRC_NAT_DONE } from './layout.js';

/**
 * The bits nf_nat sets on a connection's first packet when it binds its `manip` mapping:
 * SRC_NAT_DONE / DST_NAT_DONE, and SRC_NAT / DST_NAT when the mapping changed the tuple.
 */
export function natStatus(manip: 'src' | 'dst', changed = false): number {
  return manip === 'dst' ? IPS_DST_NAT_DONE | (changed ? IPS_DST_NAT : 0) : IPS_SRC_NAT_DONE | (changed ? IPS_SRC_NAT : 0);
}

/** Whether nf_nat runs in the family: it has a nat chain. */
export function familyNats(plan: Plan, family: 4 | 6): boolean {
  return plan.firstNat[family] !== undefined;
}

/** What a connection's history adds to its status: the NAT its first packet got, whether it is assured. */
export interface Connection {
  srcNat?: boolean;
  dstNat?: boolean;
  assured?: boolean;
}

/** The status of the connection of a packet that is not its first (`nats`: its family has nat chains). */
export function establishedStatus(nats: boolean, c: Connection = {}): number {
  return IPS_CONFIRMED | IPS_SEEN_REPLY | (nats ? IPS_DST_NAT_DONE | IPS_SRC_NAT_DONE : 0)
    | (c.dstNat ? IPS_DST_NAT : 0) | (c.srcNat ? IPS_SRC_NAT : 0) | (c.assured ? IPS_ASSURED : 0);
}
