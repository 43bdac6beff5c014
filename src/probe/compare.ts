// The kernel as judge: per packet, whether the gateway delivered it (forwarded out of an interface
// = accepted on the forward path; not seen = dropped or rejected) against the engine's verdict, and
// the addresses and ports it arrived with against the packet as the engine's NAT left it; per rule,
// the kernel's counters against the engine's. Mismatches say the packet, the kernel's result and
// the engine's trace.

import type { Expr } from '../model/ruleset.js';
import { formatPacket, ICMP, ICMPV6, type Packet } from '../engine/packet.js';
import type { Plan } from '../engine/plan.js';
import type { EvalResult } from '../engine/result.js';
import { formatOrigin, type Origin } from '../model/origin.js';
import { counterKey, type Count, type CounterTable } from './counters.js';
import type { Arrival } from './wire.js';

export interface KernelResult {
  delivered: boolean;
  /** Where and how it came out, when delivered. */
  oif?: string;
  saddr?: string;
  daddr?: string;
  sport?: number;
  dport?: number;
}

export interface PacketOutcome {
  /** Index in the packets given to probe(); setup packets share their probe's index. */
  index: number;
  role: 'probe' | 'setup';
  packet: Packet;
  status: 'match' | 'mismatch' | 'skipped';
  /** Why a packet was not sent (skipped), or what differs (mismatch). */
  reasons: string[];
  /** The engine's prediction; `text` (verdict, path, trace) is kept for mismatches. */
  engine?: { verdict: EvalResult['verdict']; delivered: boolean; packet: Packet; text?: string };
  kernel?: KernelResult;
}

export interface CounterOutcome {
  table: string;
  chain: string;
  /** Index of the rule in its chain, and of the counter among the rule's counters. */
  rule: number;
  ordinal: number;
  origin: Origin;
  kernel: Count;
  engine: Count;
  /** The most the engine counts, when the state allows several ways (engine: the least); the kernel's must lie between. */
  engineMax?: Count;
  match: boolean;
}

/** True when the engine has the packet leave the gateway (forwarded and accepted all the way). */
export function engineDelivers(r: EvalResult): boolean {
  return r.verdict === 'accept' && r.hooks.includes('forward') && r.hooks.includes('postrouting');
}

export function kernelResult(arrival: Arrival | undefined): KernelResult {
  if (!arrival) return { delivered: false };
  const { oif, saddr, daddr, sport, dport } = arrival;
  return { delivered: true, oif, saddr, daddr, sport, dport };
}

/**
 * Whether the ruleset has source (snat, masquerade) or destination NAT with `random` or
 * `fully-random`: the kernel then picks the port, so a rewritten packet's port is not predicted.
 */
export interface PortChoice {
  src: boolean;
  dst: boolean;
}

export function kernelPicksPorts(plan: Plan): PortChoice {
  const out: PortChoice = { src: false, dst: false };
  for (const r of plan.rules) {
    for (const e of r.rule.exprs) {
      if (e.kind !== 'nat' || !e.flags?.some((f) => f === 'random' || f === 'fully-random')) continue;
      if (e.type === 'dnat') out.dst = true;
      else out.src = true;
    }
  }
  return out;
}

/** What differs between the engine's prediction and what the kernel did with one packet. */
export function comparePacket(sent: Packet, predicted: EvalResult, kernel: KernelResult, picks: PortChoice = { src: false, dst: false }): string[] {
  const problems: string[] = [];
  const delivers = engineDelivers(predicted);
  if (delivers !== kernel.delivered) {
    problems.push(delivers
      ? `the engine forwards it (${predicted.verdict}) but the kernel did not deliver it`
      : `the engine's verdict is ${predicted.verdict}${predicted.hooks.includes('input') ? ' (to the gateway itself)' : ''} but the kernel delivered it`);
    return problems;
  }
  if (!kernel.delivered) return problems;
  const after = predicted.packet;
  if (kernel.oif !== sent.oifname) problems.push(`left by ${kernel.oif}, not ${sent.oifname}`);
  if (kernel.saddr !== after.saddr) problems.push(`source address ${kernel.saddr} at the sink, the engine says ${after.saddr}`);
  if (kernel.daddr !== after.daddr) problems.push(`destination address ${kernel.daddr} at the sink, the engine says ${after.daddr}`);
  // ICMP's second word is its checksum, which NAT rewrites; its first (type, code) never changes.
  const icmp = sent.l4proto === ICMP || sent.l4proto === ICMPV6;
  // A port the kernel picks at random is not compared when NAT rewrote that side's address.
  const srcPicked = picks.src && !icmp && after.saddr !== sent.saddr;
  const dstPicked = picks.dst && !icmp && after.daddr !== sent.daddr;
  if (kernel.sport !== after.sport && !srcPicked) problems.push(`first transport word ${kernel.sport} at the sink, the engine says ${after.sport}`);
  if (!icmp && kernel.dport !== after.dport && !dstPicked) problems.push(`second transport word ${kernel.dport} at the sink, the engine says ${after.dport}`);
  return problems;
}

export function formatKernel(k: KernelResult): string {
  if (!k.delivered) return 'not delivered (dropped or rejected)';
  return `delivered out of ${k.oif}: ${k.saddr} -> ${k.daddr}, words ${k.sport} ${k.dport}`;
}

/** Engine counters (Float64Array of packets, bytes per counter id) as kernel-style keys. */
export function engineCounters(plan: Plan, counts: Float64Array): Map<string, { count: Count; origin: Origin }> {
  const out = new Map<string, { count: Count; origin: Origin }>();
  for (const c of plan.counters) {
    const r = plan.rules[c.rule]!;
    const chain = plan.chains[r.chain]!;
    // Counted among the written rule's counters (an expanded rule keeps the prefix's only in its first copy).
    const ordinal = r.written.exprs.filter((e): e is Expr => e.kind === 'counter').indexOf(r.rule.exprs[c.expr]!);
    const key = counterKey(chain.table.family, chain.table.name, chain.chain.name, r.index, ordinal);
    // The rules a lookup expands into share the written rule's counters: their counts add up.
    const had = out.get(key)?.count ?? { packets: 0, bytes: 0 };
    out.set(key, { count: { packets: had.packets + counts[2 * c.id]!, bytes: had.bytes + counts[2 * c.id + 1]! }, origin: r.rule.exprs[c.expr]!.origin });
  }
  return out;
}

export function compareCounters(plan: Plan, engine: Float64Array, kernel: CounterTable, engineMax = engine): CounterOutcome[] {
  const out: CounterOutcome[] = [];
  const most = engineCounters(plan, engineMax);
  for (const [key, { count, origin }] of engineCounters(plan, engine)) {
    const [family, table, chain, rule, ordinal] = key.split('\u0000');
    const k = kernel.get(key) ?? { packets: -1, bytes: -1 };
    const max = most.get(key)!.count;
    if (max.packets !== count.packets || max.bytes !== count.bytes) {
      out.push({
        table: `${family} ${table}`, chain: chain!, rule: Number(rule), ordinal: Number(ordinal), origin, kernel: k, engine: count, engineMax: max,
        match: count.packets <= k.packets && k.packets <= max.packets && count.bytes <= k.bytes && k.bytes <= max.bytes,
      });
      continue;
    }
    out.push({
      table: `${family} ${table}`,
      chain: chain!,
      rule: Number(rule),
      ordinal: Number(ordinal),
      origin,
      kernel: k,
      engine: count,
      match: k.packets === count.packets && k.bytes === count.bytes,
    });
  }
  return out;
}

export function formatPacketOutcome(o: PacketOutcome): string {
  const head = `${o.status.toUpperCase()} #${o.index}${o.role === 'setup' ? ' (flow opening)' : ''}: ${formatPacket(o.packet)}`;
  const lines = [head, ...o.reasons.map((r) => `  ${o.status === 'skipped' ? 'not sent' : 'differs'}: ${r}`)];
  if (o.status === 'mismatch') {
    lines.push(`  kernel: ${formatKernel(o.kernel!)}`);
    lines.push('  engine: ' + (o.engine!.text ?? '').trimEnd().split('\n').join('\n  '));
  }
  return lines.join('\n');
}

export function formatCounterOutcome(c: CounterOutcome): string {
  const where = formatOrigin(c.origin) || `${c.table} ${c.chain} rule #${c.rule + 1}`;
  const k = c.kernel.packets < 0 ? 'missing from the kernel listing' : `${c.kernel.packets} packets ${c.kernel.bytes} bytes`;
  const e = c.engineMax
    ? `${c.engine.packets}–${c.engineMax.packets} packets ${c.engine.bytes}–${c.engineMax.bytes} bytes (as the state allows)`
    : `${c.engine.packets} packets ${c.engine.bytes} bytes`;
  return `COUNTER ${c.match ? 'ok' : 'MISMATCH'} ${where}: kernel ${k}, engine ${e}`;
}

