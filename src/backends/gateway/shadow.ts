// Shadow check (`verify --probe`): is what the kernel holds doing what the intent says, packet by
// packet — without one packet through the live gateway. The owned tables, as the kernel lists them
// (imported), are loaded into a throwaway probe topology; the probe sends the packets there, and
// each packet's fate in that kernel is judged twice: against the engine run on the kernel's copy
// (the probe's own check: is the model of the copy right?) and against the engine run on the
// intent (the shadow check proper: does the gateway's state behave as meant?).
// Packets: the witnesses of the exact diff between intent and kernel state (one per difference),
// the analyses' witnesses on the intent (shadowed, redundant… rules), and packets generated from
// both rulesets' rules plus seeded random ones.

import type { Ruleset, Table } from '../../model/ruleset.js';
import { tableId } from '../../model/ruleset.js';
import { compileRuleset } from '../../engine/index.js';
import { formatPacket, type Packet } from '../../engine/packet.js';
import { diffRulesets } from '../../analyses/diff.js';
import { findAnomalies } from '../../analyses/anomalies.js';
import { symbolicAnalysis } from '../../analyses/symbolic/index.js';
import { probe, type ProbeReport } from '../../probe/probe.js';
import { generatePackets } from '../../probe/generate.js';
import { realise } from '../../probe/realise.js';
import { Topology } from '../../probe/topology.js';
import { comparePacket, kernelPicksPorts, formatKernel } from '../../probe/compare.js';
import { kernelAvailable } from '../netns/netns.js';
import { NftlensError } from '../../model/diagnostics.js';
import { OWNER_DEFAULT } from './owner.js';
import { readOwned } from './state.js';
import type { Intent } from './types.js';

export interface ShadowOptions {
  /** Random packets drawn from each ruleset (default 200). */
  random?: number;
  seed?: number;
  /** More packets to send. */
  packets?: readonly Packet[];
  /** Namespace name prefix. */
  prefix?: string;
}

export interface Disagreement {
  packet: string;
  role: 'probe' | 'setup';
  kernel: string;
  intent: string;
  reasons: string[];
}

export interface ShadowReport {
  /** Packets the shadow kernel handled and the intent was compared with. */
  compared: number;
  skipped: number;
  /** Where the kernel's state does not do what the intent says. */
  disagreements: Disagreement[];
  /** The probe of the kernel's copy against the engine on that copy. */
  probe: ProbeReport;
  /** Tables of the intent that could not be copied: not owned in the kernel, or not importable. */
  uncopied: string[];
  ok: boolean;
}

/** The kernel's tables in the intent's order (equal-priority base chains run in creation order). */
function inIntentOrder(intent: Ruleset, kernel: Ruleset): Ruleset {
  const byId = new Map(kernel.tables.map((t) => [tableId(t), t]));
  const ordered: Table[] = [];
  for (const t of intent.tables) {
    const k = byId.get(tableId(t));
    if (k) ordered.push(k);
    byId.delete(tableId(t));
  }
  return { tables: [...ordered, ...byId.values()] };
}

/** The packets the shadow check sends (deduplicated by their text form). */
export function shadowPackets(intent: Ruleset, kernel: Ruleset, opts: ShadowOptions = {}): Packet[] {
  const out = new Map<string, Packet>();
  const add = (p: Packet | undefined) => {
    if (p) out.set(formatPacket(p), p);
  };
  for (const c of diffRulesets(intent, kernel).changes) add(c.witness);
  for (const f of findAnomalies(symbolicAnalysis(intent)).findings) add(f.witness);
  const random = opts.random ?? 200;
  const seed = opts.seed ?? 1;
  for (const p of generatePackets(intent, { random, seed })) add(p);
  for (const p of generatePackets(kernel, { random: Math.ceil(random / 4), seed: seed + 1 })) add(p);
  for (const p of opts.packets ?? []) add(p);
  return [...out.values()];
}

/**
 * Probes `kernel` (the owned tables as listed, marker stripped) in a throwaway topology and judges
 * every packet the kernel handled against the intent. Needs root; touches no live namespace.
 */
export async function shadowProbe(intent: Ruleset, kernel: Ruleset, opts: ShadowOptions = {}): Promise<ShadowReport> {
  const copy = inIntentOrder(intent, kernel);
  const packets = shadowPackets(intent, copy, opts);
  const interfaces = new Set<string>();
  const addresses = new Set<string>();
  for (const p of packets) {
    const r = realise(p);
    if (!r.ok) continue;
    for (const q of [...r.setup, p]) {
      interfaces.add(q.iifname).add(q.oifname);
      addresses.add(q.saddr).add(q.daddr);
    }
  }
  const topo = await Topology.create({ interfaces: [...interfaces], avoid: [...addresses], prefix: opts.prefix ?? 'shadow' });
  try {
    const report = await probe(copy, packets, { topology: topo });
    const interfaceAddresses = Object.fromEntries([...topo.ports.values()].map((p) => [p.name, [p.v4.address, p.v6.address]]));
    const meant = compileRuleset(intent, { interfaceAddresses });
    const picks = kernelPicksPorts(meant.plan);
    const disagreements: Disagreement[] = [];
    let compared = 0;
    for (const o of report.packets) {
      if (o.status === 'skipped' || !o.kernel) continue;
      compared++;
      const r = meant.evaluate(o.packet);
      const reasons = comparePacket(o.packet, r, o.kernel, picks);
      if (reasons.length) {
        disagreements.push({
          packet: formatPacket(o.packet),
          role: o.role,
          kernel: formatKernel(o.kernel),
          intent: `${r.verdict}${r.packet.daddr !== o.packet.daddr || r.packet.saddr !== o.packet.saddr ? ` as ${formatPacket(r.packet)}` : ''}`,
          reasons,
        });
      }
    }
    const uncopied = intent.tables.map(tableId).filter((id) => !copy.tables.some((t) => tableId(t) === id));
    const ok = disagreements.length === 0 && uncopied.length === 0 && report.ok && compared > 0;
    return { compared, skipped: report.skipped, disagreements, probe: report, uncopied, ok };
  } finally {
    await topo.dispose();
  }
}

export function formatShadow(r: ShadowReport): string {
  const lines = [
    `shadow probe: ${r.compared} packet(s) through a copy of the kernel's tables, ${r.skipped} skipped; ` +
      `${r.disagreements.length} where the kernel differs from the intent; ` +
      `${r.probe.mismatches + r.probe.counterMismatches} engine/kernel mismatch(es) on the copy`,
  ];
  for (const id of r.uncopied) lines.push(`  ✗ table ${id}: not copied (not an owned table in the kernel, or not importable)`);
  if (r.compared === 0) lines.push('  ✗ no packet could be compared: the probe proves nothing');
  for (const d of r.disagreements.slice(0, 50)) {
    lines.push(`  ✗ ${d.packet}${d.role === 'setup' ? ' (opens a flow)' : ''}`, `      kernel  ${d.kernel}`, `      intent  ${d.intent}`);
    for (const why of d.reasons) lines.push(`      ${why}`);
  }
  if (r.disagreements.length > 50) lines.push(`  … ${r.disagreements.length - 50} more`);
  return lines.join('\n') + '\n';
}

export interface ShadowCliOptions {
  netns?: string;
  owner?: string;
  probe?: boolean;
  random?: number;
}

/** `verify --probe`: the owned tables of the intent as the kernel lists them, probed in a shadow. */
export async function shadowCheck(intent: Intent, opts: ShadowCliOptions): Promise<ShadowReport> {
  const why = await kernelAvailable();
  if (why) throw NftlensError.of('NFT_ENV', `verify --probe needs the kernel: ${why}`, {});
  const state = await readOwned(intent.ruleset.tables.map(tableId), { netns: opts.netns, owner: opts.owner ?? OWNER_DEFAULT });
  const tables = [...state.owned.values()].flatMap((t) => (t.table ? [t.table] : []));
  return shadowProbe(intent.ruleset, { tables }, { random: opts.random });
}

export function shadowJson(r: ShadowReport): { probe: object } {
  return {
    probe: {
      ok: r.ok, compared: r.compared, skipped: r.skipped, disagreements: r.disagreements, uncopied: r.uncopied,
      copyMismatches: r.probe.mismatches, copyCounterMismatches: r.probe.counterMismatches,
    },
  };
}
