// A probe report for people (text: mismatches in full, a one-line summary) and for machines (JSON:
// every packet outcome and counter, engine traces as text).

import { formatCounterOutcome, formatPacketOutcome } from './compare.js';
import type { ProbeReport } from './probe.js';

export function formatReport(r: ProbeReport, opts: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  for (const o of r.packets) {
    if (o.status === 'mismatch' || opts.verbose) {
      lines.push(formatPacketOutcome(o));
    }
  }
  for (const c of r.counters) if (!c.match || opts.verbose) lines.push(formatCounterOutcome(c));
  const probed = r.packets.filter((o) => o.role === 'probe' && o.status !== 'skipped').length;
  lines.push(
    `${r.ok ? 'OK' : 'MISMATCH'}: ${probed} packet(s) probed (${r.sent} sent in ${r.rounds} round(s)), ` +
      `${r.mismatches} packet mismatch(es), ${r.counterMismatches} of ${r.counters.length} counter(s) differ, ${r.skipped} not sendable`,
  );
  return lines.join('\n') + '\n';
}

export function reportJson(r: ProbeReport): unknown {
  return {
    ok: r.ok,
    summary: { rounds: r.rounds, sent: r.sent, mismatches: r.mismatches, counterMismatches: r.counterMismatches, skipped: r.skipped },
    packets: r.packets.map((o) => ({
      index: o.index, role: o.role, status: o.status, reasons: o.reasons, packet: o.packet,
      ...(o.engine ? { engine: { verdict: o.engine.verdict, delivered: o.engine.delivered, packet: o.engine.packet, trace: o.engine.text } } : {}),
      ...(o.kernel ? { kernel: o.kernel } : {}),
    })),
    counters: r.counters,
  };
}
