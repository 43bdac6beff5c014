// Connections, not just packets: a flow's first packet, the reply, and a following packet of the
// original direction, each classified as conntrack would see it, through the reference interpreter.
//
//   const f = parseFlow('tcp 10.0.0.5:40000 -> 10.42.1.7:80 iif eth0 oif eth1');
//   const r = evaluateFlow(plan, env, f, { trace: true });
//   r.works            // all three accepted: the connection works both ways
//   r.opens            // first packet and reply accepted: A can open a connection to B
//   r.steps            // [{ step: 'first' | 'reply' | 'next', packet, result, state }]
//
// Conntrack, as the kernel does it: the first packet is `ct new`; if it is accepted and tracked,
// its entry remembers the tuple before and after NAT (and its ct mark). The reply is the
// translated tuple reversed, `ct established`, arriving on the interface the first packet left
// by; conntrack's NAT reverses the mapping on it (a dnat'd connection's reply gets the original
// destination as its source in postrouting/input; an snat'd one's reply gets the original source
// as its destination in prerouting/output). The next packet is `ct established` too (the entry
// has seen a reply: conntrack marks it so before any rule runs) and gets the first packet's mapping.
// Without an entry (the first packet untracked, or a protocol its family's conntrack cannot
// track), each packet is conntrack's to classify on its own: a UDP reply is `new`, a TCP SYN-ACK
// and an ICMP echo reply are `invalid` (nf_conntrack_tcp's table; icmp_new takes requests only),
// a TCP ACK is `new` (nf_conntrack_tcp_loose picks connections up midstream).
// `works` covers these three steps: for a connection conntrack tracks from its first packet, the
// later packets both ways are established like them; for one it does not, each later packet is
// conntrack's to classify alone (a TCP ACK of the reply direction without an entry is picked up
// as new), and the three steps do not say what happens to the data.
// TCP flags: syn, then syn,ack, then ack. ICMP: echo request, echo reply, echo request.
// Not modelled: `ct direction` (no rule field reads it), the ICMP identifier (the model has no
// field for it), ports conntrack remaps on a clash (the model keeps them).

import { NftlensError } from '../model/diagnostics.js';
import type { Origin } from '../model/origin.js';
import { addressOf } from './addr.js';
import type { Environment } from './environment.js';
import { ICMP, ICMPV6, TCP, UDP, makePacket, parsePacket, trackable, type Packet } from './packet.js';
import type { Plan } from './plan.js';
import { NAT_PORT_PROTOS, referenceEvaluate, type NatTarget, type ReferenceOptions } from './reference.js';
import { allOutcomes, type Outcome } from './outcomes.js';
import { StateWord, type Draw } from './state.js';
import type { EvalResult } from './result.js';
import { TCP_FLAGS, type CtState } from '../model/values.js';

export type FlowStepName = 'first' | 'reply' | 'next';

export interface FlowStep {
  step: FlowStepName;
  /** The packet as it reaches the gateway (its ct state: what conntrack gives it). */
  packet: Packet;
  result: EvalResult;
  /** Conntrack's NAT applied to this packet of an existing connection, if any. */
  conntrackNat?: { dst?: NatTarget; src?: NatTarget };
}

export interface FlowResult {
  /** The first packet as given. */
  flow: Packet;
  steps: FlowStep[];
  /** First packet and reply accepted: the connection opens. */
  opens: boolean;
  /** Every step accepted: the connection works in both directions. */
  works: boolean;
  /** The step that failed, if any (later steps are not evaluated). */
  failed?: FlowStepName;
  /** The steps met stateful expressions (state.ts): the ways their draws took, in order. */
  draws?: Draw[];
}

export const FLOW_PROTOCOLS = 'tcp, udp, icmp (IPv4) and icmpv6 (IPv6)';
const ECHO_REQUEST: Record<number, number> = { [ICMP]: 8, [ICMPV6]: 128 };
const ECHO_REPLY: Record<number, number> = { [ICMP]: 0, [ICMPV6]: 129 };

/**
 * A flow in the packet text form (`PROTO SRC -> DST [iif X] [oif Y] [mark M] [len N] [local|dst-local]`):
 * conntrack decides ct state, ct mark and TCP flags, and ICMP flows are echo request/reply.
 */
export function parseFlow(text: string, origin: Origin = {}): Packet {
  const fail = (msg: string): never => {
    throw NftlensError.of('INPUT_PARSE', `flow "${text.trim()}": ${msg}`, origin);
  };
  const words = text.trim().split(/\s+/);
  for (const w of ['ct', 'ctmark', 'flags', 'csum', 'type', 'code']) {
    if (words.indexOf(w) >= 4) fail(`"${w}" is not for a flow: conntrack and the protocol decide it`);
  }
  const first = parsePacket(text, origin);
  if (![TCP, UDP, ICMP, ICMPV6].includes(first.l4proto)) fail(`flows are ${FLOW_PROTOCOLS}`);
  const icmp = first.l4proto === ICMP || first.l4proto === ICMPV6;
  if (icmp && !trackable(first)) fail(`${first.l4proto === ICMP ? 'icmp' : 'icmpv6'} with IPv${first.family} addresses is not a connection conntrack tracks; flows are ${FLOW_PROTOCOLS}`);
  if (!icmp) return first;
  return makePacket({ ...first, sport: ECHO_REQUEST[first.l4proto]! << 8, dport: undefined }, origin);
}

interface Entry {
  /** The packet that made the entry, as it came and after NAT. */
  pre: Packet;
  post: Packet;
  /** It came in the flow's original direction (else: the reply made it). */
  forward: boolean;
  ctMark: number;
}

/**
 * The three steps of a flow, each as conntrack and the ruleset would treat it; stateful expressions
 * on the way draw from `state` in turn (outcomes.ts: flowOutcomes gives every outcome).
 */
export function evaluateFlow(plan: Plan, env: Environment, flow: Packet, opts: Pick<ReferenceOptions, 'trace' | 'state'> = {}): FlowResult {
  const word = new StateWord(opts.state ?? 0);
  const draws: Draw[] = [];
  const done = (r: FlowResult): FlowResult => (draws.length ? { ...r, draws } : r);
  const steps: FlowStep[] = [];
  let entry: Entry | undefined;
  // The reply of a locally generated flow is addressed to the host itself (before any NAT).
  const replyEnv = flow.local ? withLocal(env, flow) : env;
  for (const step of ['first', 'reply', 'next'] as const) {
    const forward = step !== 'reply';
    const sent = step === 'reply' ? replyPacket(flow, steps[0]!.result, entry) : flow;
    const tracked = entry !== undefined && trackable(flow);
    const ctState: CtState = tracked ? 'established' : untrackedState(flow.l4proto, step);
    const ctNat = tracked ? conntrackNat(entry!, forward === entry!.forward) : undefined;
    const packet = makePacket({ ...sent, ctState, ctMark: tracked ? entry!.ctMark : 0, tcpFlags: tcpFlags(flow.l4proto, step) });
    // ct status: the first packet's NAT; TCP's third packet completes the handshake (assured).
    const connection = entry && {
      dstNat: entry.post.daddr !== entry.pre.daddr || entry.post.dport !== entry.pre.dport,
      srcNat: entry.post.saddr !== entry.pre.saddr || entry.post.sport !== entry.pre.sport,
      assured: flow.l4proto === TCP && step === 'next',
    };
    const result = referenceEvaluate(plan, step === 'reply' ? replyEnv : env, packet, { trace: opts.trace, stateWord: word, ...(ctNat ? { conntrackNat: ctNat } : {}), ...(connection ? { connection } : {}) });
    steps.push({ step, packet, result, ...(ctNat ? { conntrackNat: ctNat } : {}) });
    draws.push(...(result.draws ?? []));
    if (result.verdict !== 'accept') return done({ flow, steps, opens: false, works: false, failed: step });
    if (!entry && result.packet.ctState === 'new') {
      entry = { pre: packet, post: result.packet, forward, ctMark: result.packet.ctMark };
    } else if (entry) {
      entry.ctMark = result.packet.ctMark;
    }
  }
  return done({ flow, steps, opens: true, works: true });
}

/** Every outcome of a flow the state allows (outcomes.ts), its draws across the three steps. */
export function flowOutcomes(plan: Plan, env: Environment, flow: Packet, opts: Pick<ReferenceOptions, 'trace'> = {}): { outcomes: Outcome<FlowResult>[]; more: boolean } {
  return allOutcomes((state) => evaluateFlow(plan, env, flow, { ...opts, state }));
}

/** What conntrack makes of a packet without an entry. */
function untrackedState(l4proto: number, step: FlowStepName): CtState {
  if (step === 'reply' && l4proto !== UDP) return 'invalid';
  return 'new';
}

function tcpFlags(l4proto: number, step: FlowStepName): number {
  if (l4proto !== TCP) return 0;
  return step === 'first' ? TCP_FLAGS.syn! : step === 'reply' ? TCP_FLAGS.syn! | TCP_FLAGS.ack! : TCP_FLAGS.ack!;
}

/**
 * The reply as it arrives at the gateway, before conntrack's NAT: from where the first packet went
 * (after NAT, when it made the entry) back to where it came from, in by the interface the first
 * left by and out by the one it came in by; sent by the host itself when the first went to input.
 */
function replyPacket(flow: Packet, first: EvalResult, entry: Entry | undefined): Packet {
  const out = entry?.forward ? entry.post : flow;
  const fromHost = first.hooks.includes('input');
  const reply: Partial<Packet> & Pick<Packet, 'saddr' | 'daddr'> = {
    saddr: out.daddr,
    daddr: out.saddr,
    l4proto: flow.l4proto,
    iifname: fromHost ? '' : flow.oifname,
    oifname: flow.iifname,
    length: flow.length,
    local: fromHost,
  };
  if (flow.l4proto === ICMP || flow.l4proto === ICMPV6) reply.sport = ECHO_REPLY[flow.l4proto]! << 8;
  else {
    reply.sport = out.dport;
    reply.dport = out.sport;
  }
  return makePacket(reply);
}

/**
 * nf_nat_packet on a packet of the entry: in the entry's direction, the mapping its first packet
 * got; in the other, the mapping reversed (source NAT undone on the destination, destination NAT
 * undone on the source). Only the halves NAT changed.
 */
function conntrackNat(e: Entry, sameDirection: boolean): { dst?: NatTarget; src?: NatTarget } | undefined {
  const ports = NAT_PORT_PROTOS.has(e.pre.l4proto);
  const srcChanged = e.pre.saddr !== e.post.saddr || (ports && e.pre.sport !== e.post.sport);
  const dstChanged = e.pre.daddr !== e.post.daddr || (ports && e.pre.dport !== e.post.dport);
  const out: { dst?: NatTarget; src?: NatTarget } = {};
  if (sameDirection) {
    if (dstChanged) out.dst = { addr: e.post.daddr, port: e.post.dport };
    if (srcChanged) out.src = { addr: e.post.saddr, port: e.post.sport };
  } else {
    if (srcChanged) out.dst = { addr: e.pre.saddr, port: e.pre.sport };
    if (dstChanged) out.src = { addr: e.pre.daddr, port: e.pre.dport };
  }
  return out.dst || out.src ? out : undefined;
}

/** The environment with the flow's source (an address of this host, for a local flow) among the host's. */
function withLocal(env: Environment, flow: Packet): Environment {
  const local = { 4: new Set(env.local[4]), 6: new Set(env.local[6]) };
  local[flow.family].add(addressOf(flow.saddr)!.value);
  return { ...env, local };
}
