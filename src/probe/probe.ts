// probe(ruleset, packets): loads the ruleset into a throwaway gateway namespace, sends the packets
// through it, and compares what the kernel did — delivery, NAT seen at the sink, per-rule counters —
// with what the engine predicts. Packets are sent in rounds: within a round every packet opens its
// own conntrack flow (no two share a flow, before or after NAT, in either direction) and the routes
// they need agree; between rounds conntrack is flushed and the ruleset reloaded (fresh counters).

import type { Ruleset } from '../model/ruleset.js';
import type { Packet } from '../engine/packet.js';
import type { Plan } from '../engine/plan.js';
import { compileRuleset, ReferenceEngine } from '../engine/index.js';
import type { EngineOptions } from '../engine/environment.js';
import { allRules, needsInterfaceNames } from '../engine/fib.js';
import { parseAddress } from '../model/values.js';
import { formatResult, type EvalResult } from '../engine/result.js';
import { stateWord, type Outcome } from '../engine/outcomes.js';
import { renderNftJson } from '../backends/nft/render-json.js';
import { craftFrame, type WirePacket } from './pcap.js';
import { Topology, type Route } from './topology.js';
import { sendAndCapture, type Arrival, type Injection } from './wire.js';
import { addCounters, readCounters, type CounterTable } from './counters.js';
import { flowKey, realise } from './realise.js';
import {
  compareCounters, comparePacket, engineDelivers, kernelPicksPorts, kernelResult, type CounterOutcome, type PacketOutcome, type PortChoice,
} from './compare.js';
import { loadRuleset } from '../backends/nft/nft.js';

export interface ProbeOptions {
  /** Most packets per round (default 2000). */
  roundSize?: number;
  /** Injection rate in packets per second (default 20000). */
  pps?: number;
  /** Called after each round with packets sent so far and the total to send. */
  onProgress?: (sent: number, total: number) => void;
  /** Namespace name prefix, for tests that check clean-up. */
  prefix?: string;
  /** A topology to reuse (the caller disposes of it); it must have every interface the packets use. */
  topology?: Topology;
  /** The engine judged: the WebAssembly classifier (default) or the reference interpreter. */
  engine?: 'wasm' | 'reference';
  /**
   * Least share (0–1) of the given packets that must be compared with the kernel — sent and
   * judged, not skipped — for the report to be ok (default MIN_COMPARED, 0.9): a probe whose
   * packets could mostly not be sent has checked nothing.
   */
  minCompared?: number;
}

/** The default least share of the given packets a probe must compare to pass. */
export const MIN_COMPARED = 0.9;

/** What the probe needs of an engine: verdicts (with a trace on demand) and counters. */
interface Judged {
  plan: Plan;
  evaluate(p: Packet, trace: boolean, state?: number): EvalResult;
  /** Every outcome the state allows (engine/outcomes.ts), counters untouched. */
  outcomes(p: Packet): Outcome[];
  /** [packets, bytes] per counter id since the last reset. */
  counts(): Float64Array;
  reset(): void;
}

function makeEngine(ruleset: Ruleset, kind: 'wasm' | 'reference', opts: EngineOptions): Judged {
  if (kind === 'reference') {
    const e = new ReferenceEngine(ruleset, opts);
    return {
      plan: e.plan, evaluate: (p, trace, state) => e.evaluate(p, { trace, state }), outcomes: (p) => e.outcomes(p).outcomes,
      counts: () => e.counterValues.slice(), reset: () => e.counterValues.fill(0),
    };
  }
  const c = compileRuleset(ruleset, opts);
  return {
    plan: c.plan, evaluate: (p, trace, state) => c.evaluate(p, { trace, state }), outcomes: (p) => c.outcomes(p).outcomes,
    counts: () => c.counterArray(), reset: () => c.resetCounters(),
  };
}

export interface ProbeReport {
  /** One outcome per given packet, plus one per flow-opening packet the probe sent before it. */
  packets: PacketOutcome[];
  counters: CounterOutcome[];
  rounds: number;
  sent: number;
  mismatches: number;
  counterMismatches: number;
  /** Given packets sent and compared with the kernel, and given packets skipped (not sendable). */
  compared: number;
  skipped: number;
  /** The least compared share asked for, and whether it was reached (given none: not reached). */
  minCompared: number;
  enoughCompared: boolean;
  /** No mismatch, and enough of the given packets compared. */
  ok: boolean;
}

/**
 * The probe's own table in the gateway, its chains at the lowest priority there is, so they run
 * before any chain of the ruleset: `local-out` drops what the gateway itself would send (ICMP
 * errors of rejects, MLD reports…), so only forwarded packets count; `mark-in` gives the packets
 * whose meta mark is not 0 that mark as they come in (a wire carries none), found by their tag.
 */
export const PROBE_TABLE = { family: 'inet', name: 'nftlens-probe' } as const;
const LOWEST = -2147483648;

function probeTable(marks: readonly { family: 4 | 6; tag: number; mark: number }[]): object[] {
  const t = { family: PROBE_TABLE.family, table: PROBE_TABLE.name };
  const cmds: object[] = [
    { add: { table: PROBE_TABLE } },
    { add: { chain: { ...t, name: 'local-out', type: 'filter', hook: 'output', prio: LOWEST, policy: 'drop' } } },
  ];
  if (marks.length) cmds.push({ add: { chain: { ...t, name: 'mark-in', type: 'filter', hook: 'prerouting', prio: LOWEST, policy: 'accept' } } });
  for (const m of marks) {
    const key = m.family === 4 ? { protocol: 'ip', field: 'id' } : { protocol: 'ip6', field: 'flowlabel' };
    cmds.push({
      add: {
        rule: {
          ...t, chain: 'mark-in', expr: [
            { match: { op: '==', left: { payload: key }, right: m.tag } },
            { mangle: { key: { meta: { key: 'mark' } }, value: m.mark } },
          ],
        },
      },
    });
  }
  return cmds;
}

/**
 * Per distinct source address of the packets, what the gateway's main table says of it, so that
 * reverse-path checks (`fib saddr . iif oif`) meet each answer: no route, a route back through the
 * interface its first packet comes in on, or one through another interface — a third each, by a
 * hash of the address. Link-local, loopback, unspecified and multicast sources get none.
 */
function reversePaths(units: readonly { packets: Packet[] }[], ports: readonly string[]): { version: 4 | 6; address: string; dev: string }[] {
  const out = new Map<string, { version: 4 | 6; address: string; dev: string }>();
  for (const u of units) {
    for (const p of u.packets) {
      const a = parseAddress(p.saddr);
      if (!a || out.has(p.saddr) || special(a.value, a.version)) continue;
      const pick = [...p.saddr].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261) % 3;
      const other = ports.find((x) => x !== p.iifname);
      const dev = pick === 1 ? p.iifname : pick === 2 ? other : undefined;
      if (dev) out.set(p.saddr, { version: a.version, address: p.saddr, dev });
    }
  }
  return [...out.values()];
}

function special(a: bigint, version: 4 | 6): boolean {
  if (version === 4) return a === 0n || a >> 24n === 127n || a >> 28n === 0xen;
  return a <= 1n || a >> 118n === 0x3fan || a >> 120n === 0xffn;
}

interface Unit {
  index: number;
  /** Setup packets first, the probed packet last. */
  packets: Packet[];
  results: EvalResult[];
  /** The probed packet's outcomes when its verdict depends on state (engine/outcomes.ts). */
  outcomes?: Outcome[];
  /** The state words of the outcomes the kernel's result matches (the kernel's counters are one of theirs). */
  states?: number[];
  routes: Route[];
  keys: Set<string>;
}

interface Round {
  units: Unit[];
  routes: Map<string, string>;
  keys: Set<string>;
  size: number;
}

export async function probe(ruleset: Ruleset, packets: readonly Packet[], opts: ProbeOptions = {}): Promise<ProbeReport> {
  const minCompared = opts.minCompared ?? MIN_COMPARED;
  if (!(minCompared >= 0 && minCompared <= 1)) throw new Error(`the least compared share is between 0 and 1, not ${minCompared}`);
  if (ruleset.tables.some((t) => t.family === PROBE_TABLE.family && t.name === PROBE_TABLE.name)) {
    throw new Error(`the ruleset has a table named ${PROBE_TABLE.family} ${PROBE_TABLE.name}, which the probe uses itself`);
  }
  // Compiled once up front so that a ruleset the kernel would refuse fails before any namespace exists.
  let engine = makeEngine(ruleset, opts.engine ?? 'wasm', {});
  const outcomes: PacketOutcome[] = [];
  const candidates: { index: number; packets: Packet[] }[] = [];
  packets.forEach((p, index) => {
    const r = realise(p);
    if (r.ok) candidates.push({ index, packets: [...r.setup, p] });
    else outcomes.push({ index, role: 'probe', packet: p, status: 'skipped', reasons: [r.reason] });
  });
  const interfaces = new Set<string>();
  const addresses = new Set<string>();
  for (const c of candidates) {
    for (const p of c.packets) {
      interfaces.add(p.iifname).add(p.oifname);
      addresses.add(p.saddr).add(p.daddr);
    }
  }
  let engineCounts: { lo: Float64Array; hi: Float64Array } = { lo: new Float64Array(2 * engine.plan.counters.length), hi: new Float64Array(2 * engine.plan.counters.length) };
  const kernelCounts: CounterTable = new Map();
  let rounds: Round[] = [];
  if (candidates.length) {
    const topo = opts.topology ?? (await Topology.create({ interfaces: [...interfaces], avoid: [...addresses], prefix: opts.prefix }));
    try {
      for (const name of interfaces) topo.port(name);
      const own = [...topo.ports.values()].flatMap((p) => [p.v4.address, p.v6.address]);
      if (own.some((a) => addresses.has(a))) throw new Error('the packets use an address the probe topology gave the gateway');
      // The engine learns the gateway's addresses (masquerade takes the output interface's) and
      // its main routing table: the connected subnets, and, when rules look routes up, a route for
      // some of the packets' sources (reversePaths).
      const mainRoutes = needsInterfaceNames(allRules(ruleset)) ? reversePaths(candidates, [...topo.ports.keys()]) : [];
      await topo.setMainRoutes(mainRoutes);
      engine = makeEngine(ruleset, opts.engine ?? 'wasm', {
        interfaceAddresses: Object.fromEntries([...topo.ports.values()].map((p) => [p.name, [`${p.v4.address}/24`, `${p.v6.address}/64`]])),
        routes: mainRoutes.map((r) => `${r.address} dev ${r.dev}`),
      });
      const units: Unit[] = [];
      for (const c of candidates) {
        const unit = predictUnit(engine, c.index, c.packets);
        if (typeof unit === 'string') outcomes.push({ index: c.index, role: 'probe', packet: c.packets.at(-1)!, status: 'skipped', reasons: [unit] });
        else units.push(unit);
      }
      rounds = planRounds(units, opts.roundSize ?? 2000);
      const total = rounds.reduce((n, r) => n + r.size, 0);
      let sent = 0;
      // Which ports the kernel picks at random, from the plan: once for every round.
      const picks = kernelPicksPorts(engine.plan);
      opts.onProgress?.(0, total);
      for (const [n, round] of rounds.entries()) {
        const arrivals = await runRound(topo, ruleset, round, n > 0 || opts.topology !== undefined, opts);
        addCounters(kernelCounts, await readCounters(topo.gateway, new Set([`${PROBE_TABLE.family} ${PROBE_TABLE.name}`])));
        outcomes.push(...judgeRound(engine, round, arrivals, picks));
        sent += round.size;
        opts.onProgress?.(sent, total);
      }
      engineCounts = countsFor(engine, units);
    } finally {
      if (!opts.topology) await topo.dispose();
    }
  }
  outcomes.sort((a, b) => a.index - b.index || (a.role === b.role ? 0 : a.role === 'setup' ? -1 : 1));
  const counters = rounds.length ? compareCounters(engine.plan, engineCounts.lo, kernelCounts, engineCounts.hi) : [];
  const mismatches = outcomes.filter((o) => o.status === 'mismatch').length;
  const counterMismatches = counters.filter((c) => !c.match).length;
  const given = outcomes.filter((o) => o.role === 'probe');
  const compared = given.filter((o) => o.status !== 'skipped').length;
  const enoughCompared = compared > 0 && compared >= minCompared * packets.length;
  return {
    packets: outcomes,
    counters,
    rounds: rounds.length,
    sent: rounds.reduce((n, r) => n + r.size, 0),
    mismatches,
    counterMismatches,
    compared,
    skipped: given.length - compared,
    minCompared,
    enoughCompared,
    ok: mismatches === 0 && counterMismatches === 0 && enoughCompared,
  };
}

/** The frame's link-layer destination: the gateway's port, or the broadcast or a multicast address (`meta pkttype`). */
function frameDestination(p: Packet, gateway: string): string {
  if (p.pktType === 'broadcast') return 'ff:ff:ff:ff:ff:ff';
  if (p.pktType === 'multicast') return p.family === 4 ? '01:00:5e:00:00:fb' : '33:33:00:00:00:fb';
  return gateway;
}

/**
 * The engine's counters for exactly the packets sent: each packet whose verdict depends on state
 * counted the ways the kernel's result allows — when several ways give that result, each counter
 * is a range from the least any of them counts to the most.
 */
function countsFor(engine: Judged, units: readonly Unit[]): { lo: Float64Array; hi: Float64Array } {
  engine.reset();
  for (const u of units) u.packets.forEach((p, i) => engine.evaluate(p, false, i === u.packets.length - 1 ? u.states?.[0] : undefined));
  const lo = engine.counts();
  const hi = lo.slice();
  for (const u of units) {
    if (!u.states || u.states.length < 2) continue;
    // Counted above with the first way: widen by what each other way counts instead.
    const ways = u.states.map((word) => {
      engine.reset();
      engine.evaluate(u.packets.at(-1)!, false, word);
      return engine.counts();
    });
    for (let k = 0; k < lo.length; k++) {
      const counts = ways.map((w) => w[k]!);
      lo[k] = lo[k]! - ways[0]![k]! + Math.min(...counts);
      hi[k] = hi[k]! - ways[0]![k]! + Math.max(...counts);
    }
  }
  return { lo, hi };
}

/** Each packet of a round: what the kernel did against what the engine said (with its trace if they differ). */
function judgeRound(engine: Judged, round: Round, arrivals: Map<string, Arrival>, picks: PortChoice): PacketOutcome[] {
  const out: PacketOutcome[] = [];
  for (const unit of round.units) {
    unit.packets.forEach((p, i) => {
      let r = unit.results[i]!;
      const kernel = kernelResult(arrivals.get(`${unit.index}:${i}`));
      let reasons = comparePacket(p, r, kernel, picks);
      // A verdict that depends on state: the kernel's result must be one of the outcomes.
      const outcomes = i === unit.packets.length - 1 ? unit.outcomes : undefined;
      const taken = outcomes?.filter((o) => comparePacket(p, o.result, kernel, picks).length === 0) ?? [];
      if (taken.length) {
        r = taken[0]!.result;
        reasons = [];
        unit.states = taken.map((o) => stateWord(o.draws));
      } else if (outcomes) reasons = [`none of the ${outcomes.length} outcomes the state allows: ${reasons.join('; ')}`];
      const text = reasons.length ? { text: formatResult(engine.plan, engine.evaluate(p, true)) } : {};
      out.push({
        index: unit.index,
        role: i === unit.packets.length - 1 ? 'probe' : 'setup',
        packet: p,
        status: reasons.length ? 'mismatch' : 'match',
        reasons,
        engine: { verdict: r.verdict, delivered: engineDelivers(r), packet: r.packet, ...text },
        kernel,
      });
    });
  }
  return out;
}

/**
 * The engine's verdicts for a unit. A flow opened before an `established` packet must go through
 * as the kernel will see it: accepted, not rewritten by NAT, leaving the ct mark the packet has.
 */
function predictUnit(engine: Judged, index: number, packets: Packet[]): Unit | string {
  const results = packets.map((p) => engine.evaluate(p, false));
  for (let i = 0; i < packets.length - 1; i++) {
    const r = results[i]!;
    const p = packets[i]!;
    if (r.draws) return 'the packet that opens its flow depends on state: the kernel may not open the flow the way the probe needs';
    if (!engineDelivers(r)) return `the engine does not forward the packet that opens its flow (${r.verdict})`;
    if (r.packet.ctState === 'untracked') return 'the packet that opens its flow is not tracked (notrack): there is no flow for it to answer';
    if (r.packet.saddr !== p.saddr || r.packet.daddr !== p.daddr || r.packet.sport !== p.sport || r.packet.dport !== p.dport) {
      return 'the engine NATs the packet that opens its flow; the reply would be un-NATed by conntrack';
    }
    if (r.packet.ctMark !== packets.at(-1)!.ctMark) return `the flow's opening packet leaves ct mark ${r.packet.ctMark}`;
  }
  const routes: Route[] = [];
  const keys = new Set<string>();
  const icmpId = index & 0xffff;
  const outcomes = results.at(-1)!.draws ? engine.outcomes(packets.at(-1)!) : undefined;
  packets.forEach((p, i) => {
    const after = i === packets.length - 1 && outcomes ? outcomes.map((o) => o.result.packet) : [results[i]!.packet];
    for (const daddr of new Set([p.daddr, ...after.map((a) => a.daddr)])) routes.push({ iif: p.iifname, oif: p.oifname, version: p.family, daddr });
    keys.add(flowKey(p, icmpId));
    for (const a of after) keys.add(flowKey(a, icmpId));
  });
  return outcomes ? { index, packets, results, outcomes, routes, keys } : { index, packets, results, routes, keys };
}

/** First-fit packing of units into rounds whose routes agree and whose flows are all distinct. */
function planRounds(units: readonly Unit[], roundSize: number): Round[] {
  const rounds: Round[] = [];
  const routeKey = (r: Route): string => `${r.iif}|${r.version}|${r.daddr}`;
  for (const u of units) {
    const fits = (round: Round): boolean =>
      round.size + u.packets.length <= roundSize &&
      u.routes.every((r) => (round.routes.get(routeKey(r)) ?? r.oif) === r.oif) &&
      [...u.keys].every((k) => !round.keys.has(k));
    let round = rounds.find(fits);
    if (!round) {
      round = { units: [], routes: new Map(), keys: new Set(), size: 0 };
      rounds.push(round);
    }
    round.units.push(u);
    round.size += u.packets.length;
    for (const r of u.routes) round.routes.set(routeKey(r), r.oif);
    for (const k of u.keys) round.keys.add(k);
  }
  return rounds;
}

/**
 * Loads the ruleset afresh, sets the round's routes, sends its packets (flow openings first) and
 * returns what arrived, keyed `unit index:packet position`. Each packet is tagged (IPv4 ID, IPv6
 * flow label) with a number unique in the round per family, from 1.
 */
async function runRound(topo: Topology, ruleset: Ruleset, round: Round, flush: boolean, opts: ProbeOptions): Promise<Map<string, Arrival>> {
  const next = { 4: 1, 6: 1 };
  const owner = new Map<string, string>();
  const marks: { family: 4 | 6; tag: number; mark: number }[] = [];
  const phases: Injection[][] = [[], []];
  for (const unit of round.units) {
    const icmpId = unit.index & 0xffff;
    unit.packets.forEach((p, i) => {
      const tag = next[p.family]++;
      owner.set(`${p.family}:${tag}`, `${unit.index}:${i}`);
      if (p.mark !== 0) marks.push({ family: p.family, tag, mark: p.mark });
      const port = topo.port(p.iifname);
      const setup = i < unit.packets.length - 1;
      const wire: WirePacket = {
        version: p.family, saddr: p.saddr, daddr: p.daddr, l4proto: p.l4proto, sport: p.sport, dport: p.dport,
        tcpFlags: p.tcpFlags, tag, length: p.length, srcMac: port.peerMac, dstMac: frameDestination(p, port.gatewayMac), icmpId,
        // A SYN opens the flow its SYN-ACK answers: the answer acknowledges the SYN's sequence.
        tcpSeq: setup ? 1000 : 5000,
        tcpAck: unit.packets.length > 1 && !setup ? 1001 : 0,
      };
      phases[setup ? 0 : 1]!.push({ iif: p.iifname, frame: craftFrame(wire) });
    });
  }
  const rendered = renderNftJson(ruleset);
  await loadRuleset({ nftables: [{ flush: { ruleset: null } }, ...probeTable(marks), ...rendered.nftables] }, { netns: topo.gateway.name });
  if (flush) await topo.flushConntrack();
  await topo.setRoutes([...round.routes].map(([key, oif]) => {
    const [iif, version, daddr] = key.split('|');
    return { iif: iif!, oif, version: Number(version) as 4 | 6, daddr: daddr! };
  }));
  const arrivals = await sendAndCapture(topo, phases.filter((ph) => ph.length), { pps: opts.pps });
  const byPacket = new Map<string, Arrival>();
  for (const a of arrivals) {
    const key = owner.get(`${a.version}:${a.tag}`);
    if (key) byPacket.set(key, a);
  }
  return byPacket;
}
