// A probe report for people (text: mismatches in full, a one-line summary) and for machines (JSON:
// every packet outcome and counter, engine traces as text).

import { formatCounterOutcome, formatPacketOutcome } from './compare.js';
import type { ProbeReport } from './probe.js';

export function formatReport(r: ProbeReport, opts: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  for (const o of r.packets) {
    // Skipped packets are listed too when too few were compared: they are why the probe fails.
    if (o.status === 'mismatch' || opts.verbose || (o.status === 'skipped' && !r.enoughCompared)) {
      lines.push(formatPacketOutcome(o));
    }
  }
  for (const c of r.counters) if (!c.match || opts.verbose) lines.push(formatCounterOutcome(c));
  const verdict = r.mismatches || r.counterMismatches ? 'MISMATCH' : r.enoughCompared ? 'OK' : 'TOO FEW COMPARED';
  lines.push(
    `${verdict}: ${r.compared} packet(s) probed (${r.sent} sent in ${r.rounds} round(s)), ` +
      `${r.mismatches} packet mismatch(es), ${r.counterMismatches} of ${r.counters.length} counter(s) differ, ${r.skipped} not sendable`,
  );
  const given = r.compared + r.skipped;
  const share = given ? Math.round((100 * r.compared) / given) : 0;
  lines.push(
    `compared ${r.compared} of ${given} given packet(s) (${share}%), skipped ${r.skipped}; at least ${Math.round(100 * r.minCompared)}% must be compared` +
      (r.enoughCompared ? '' : ' — not reached: too little was checked to pass (the SKIPPED packets above say why)'),
  );
  return lines.join('\n') + '\n';
}

export function reportJson(r: ProbeReport): unknown {
  return {
    ok: r.ok,
    summary: {
      rounds: r.rounds, sent: r.sent, mismatches: r.mismatches, counterMismatches: r.counterMismatches,
      compared: r.compared, skipped: r.skipped, minCompared: r.minCompared, enoughCompared: r.enoughCompared,
    },
    packets: r.packets.map((o) => ({
      index: o.index, role: o.role, status: o.status, reasons: o.reasons, packet: o.packet,
      ...(o.engine ? { engine: { verdict: o.engine.verdict, delivered: o.engine.delivered, packet: o.engine.packet, trace: o.engine.text } } : {}),
      ...(o.kernel ? { kernel: o.kernel } : {}),
    })),
    counters: r.counters,
  };
}
