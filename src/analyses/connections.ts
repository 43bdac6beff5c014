// "Can A open a connection to B": candidate first packets from A to B (witnesses of the packet
// relation's accepted space, one per protocol a flow can be and per deciding rule, as ct new with
// no ct mark and a SYN for TCP, an echo request for ICMP), each run as a whole flow
// (src/engine/flow.ts): the first packet and the reply accepted is a connection, with that flow
// as its witness. Candidates come from the reply side too: accepted established packets from B's
// destinations to A's sources, turned around into first packets. A "yes" is proven by its witness
// flow. A "no" is exact when no packet from A reaches B, or when the ruleset has no NAT (a reply
// then goes between the same addresses) and no established packet from B's destinations to A's
// sources is accepted on any port or interface; otherwise it covers the candidates tried only.

import { flowOutcomes, type FlowResult } from '../engine/flow.js';
import type { Environment } from '../engine/environment.js';
import { ICMP, ICMPV6, TCP, UDP, makePacket, trackable, type Packet } from '../engine/packet.js';
import type { Plan } from '../engine/plan.js';
import { TCP_FLAGS } from '../model/values.js';
import { CT_STATES } from './headerspace/layout.js';
import type { HeaderSpace, Space } from './headerspace/space.js';
import { policyRef, ruleRef, type Ref } from './findings.js';

export interface Connection {
  from: string;
  to: string;
  opens: boolean;
  /** The flow that opens (opens), or the last candidate tried. */
  flow?: FlowResult;
  /** What decided the first packet and the reply of `flow`. */
  decidedBy?: { first: Ref; reply?: Ref };
  /** Candidate flows run. */
  tried: number;
  /** A "no" that is proven (always true for a "yes"). */
  exact: boolean;
  /** Why not: no first packet gets through, no reply can, or no candidate tried opened. */
  reason?: 'no-packet' | 'no-reply' | 'candidates';
}

/** Flow protocols, with what pins a candidate to a connection's first packet. */
const PROTOS: { l4proto: number; sport?: number; tcpflags?: number }[] = [
  { l4proto: TCP, tcpflags: TCP_FLAGS.syn! },
  { l4proto: UDP },
  { l4proto: ICMP, sport: 8 << 8 },
  { l4proto: ICMPV6, sport: 128 << 8 },
];

/**
 * Candidate first packets in the accepted spaces `parts` (one per deciding outcome): per part and
 * per flow protocol, a witness that is ct new, without ct mark, and a SYN or an echo request.
 */
export function candidateFlows(hs: HeaderSpace, parts: readonly Space[]): Packet[] {
  const out: Packet[] = [];
  const seen = new Set<string>();
  const pins = [hs.equal('ctstate', BigInt(CT_STATES.indexOf('new'))), hs.equal('ctmark', 0n)];
  const fresh = hs.intersect(pins);
  hs.release(...pins);
  for (const part of parts) {
    for (const p of PROTOS) {
      const cs = [fresh, part, hs.equal('l4proto', BigInt(p.l4proto))];
      if (p.sport !== undefined) cs.push(hs.equal('sport', BigInt(p.sport)));
      if (p.tcpflags !== undefined) cs.push(hs.equal('tcpflags', BigInt(p.tcpflags)));
      const x = hs.intersect(cs);
      hs.release(...cs.slice(2));
      const w = hs.witness(x);
      hs.release(x);
      if (!w || !trackable(w)) continue;
      const first = makePacket({ ...w, ctState: 'new', ctMark: 0, tcpFlags: p.tcpflags ?? 0, ...(p.sport !== undefined ? { dport: undefined } : {}) });
      const key = JSON.stringify(first);
      if (!seen.has(key)) out.push(first), seen.add(key);
    }
  }
  hs.release(fresh);
  return out;
}

/**
 * First packets turned around from replies: per flow protocol, a witness of the accepted reply
 * space `replies` (established; a SYN-ACK, or an echo reply), as the connection's first packet.
 */
export function reversedCandidates(hs: HeaderSpace, replies: Space): Packet[] {
  const out: Packet[] = [];
  const REPLY: Record<number, { sport?: number; tcpflags?: number }> = {
    [TCP]: { tcpflags: TCP_FLAGS.syn! | TCP_FLAGS.ack! }, [UDP]: {}, [ICMP]: { sport: 0 }, [ICMPV6]: { sport: 129 << 8 },
  };
  for (const p of PROTOS) {
    const r = REPLY[p.l4proto]!;
    const cs = [hs.equal('l4proto', BigInt(p.l4proto))];
    if (r.sport !== undefined) cs.push(hs.equal('sport', BigInt(r.sport)));
    if (r.tcpflags !== undefined) cs.push(hs.equal('tcpflags', BigInt(r.tcpflags)));
    const x = hs.intersect([replies, ...cs]);
    hs.release(...cs);
    const q = hs.witness(x);
    hs.release(x);
    if (!q || !trackable(q)) continue;
    const icmp = p.l4proto === ICMP || p.l4proto === ICMPV6;
    out.push(makePacket({
      saddr: q.daddr, daddr: q.saddr, l4proto: q.l4proto, iifname: q.oifname, oifname: q.iifname, mark: 0, ctState: 'new', tcpFlags: p.tcpflags ?? 0,
      ...(icmp ? { sport: p.sport } : { sport: q.dport, dport: q.sport }),
    }));
  }
  return out;
}

/** Runs the candidates as flows until one opens; `noReply`: proven that no reply gets back. */
export function openConnection(plan: Plan, env: Environment, from: string, to: string, candidates: readonly Packet[], noReply = false): Connection {
  let last: FlowResult | undefined;
  let tried = 0;
  for (const c of candidates) {
    tried++;
    // Stateful expressions on the way: it opens when some way the state can go opens it.
    const all = flowOutcomes(plan, env, c).outcomes;
    last = all.find((o) => o.result.opens)?.result ?? all[0]!.result;
    if (last.opens) return { from, to, opens: true, flow: last, decidedBy: deciders(plan, last), tried, exact: true };
  }
  const reason = candidates.length === 0 ? 'no-packet' : noReply ? 'no-reply' : 'candidates';
  return { from, to, opens: false, tried, exact: reason !== 'candidates', reason, ...(last ? { flow: last, decidedBy: deciders(plan, last) } : {}) };
}

function deciders(plan: Plan, f: FlowResult): { first: Ref; reply?: Ref } {
  const ref = (s: FlowResult['steps'][number]): Ref =>
    s.result.by === 'rule' ? ruleRef(plan, s.result.rule!) : s.result.by === 'policy' ? policyRef(plan, s.result.chain!) : { label: 'no chain (nothing filters the path)', origin: {} };
  return { first: ref(f.steps[0]!), ...(f.steps[1] ? { reply: ref(f.steps[1]) } : {}) };
}
