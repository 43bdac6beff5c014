// Findings, isolation results and diffs as text for people (grouped by severity, readable at a
// glance) and as plain JSON data for machines. The CLI commands print these.

import { formatOrigin } from '../model/origin.js';
import { formatPacket } from '../engine/packet.js';
import type { Severity } from '../model/diagnostics.js';
import { bySeverity, type Finding } from './findings.js';
import type { Connection } from './connections.js';
import type { IsolationResult } from './isolation.js';
import { formatSide, type DiffResult } from './diff.js';

const HEADINGS: Record<Severity, string> = { error: 'ERRORS', warning: 'WARNINGS', info: 'INFO' };
const MARK: Record<Severity, string> = { error: '✗', warning: '!', info: 'i' };

export function countBySeverity(list: readonly Finding[]): Record<Severity, number> {
  const c: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of list) c[f.severity]++;
  return c;
}

export function formatFindings(list: readonly Finding[], title: string): string {
  const c = countBySeverity(list);
  const out = [`${title}: ${c.error} error(s), ${c.warning} warning(s), ${c.info} info`];
  for (const sev of ['error', 'warning', 'info'] as const) {
    const group = list.filter((f) => f.severity === sev);
    if (!group.length) continue;
    out.push('', `${HEADINGS[sev]} (${group.length})`);
    for (const f of group) {
      out.push(`  ${MARK[sev]} ${f.kind.padEnd(14)} ${f.subject?.label ?? formatOrigin(f.origin)}`);
      const where = formatOrigin(f.origin);
      if (where && f.subject) out.push(`      at       ${where}`);
      out.push(`      ${f.message}`);
      for (const line of f.space ?? []) out.push(`      packets  ${line}`);
      if (f.witness) out.push(`      witness  ${formatPacket(f.witness)}`);
    }
  }
  return out.join('\n') + '\n';
}

export function findingsJson(list: readonly Finding[]): unknown {
  return [...list].sort(bySeverity).map((f) => ({
    kind: f.kind,
    severity: f.severity,
    message: f.message,
    origin: f.origin,
    ...(f.subject ? { rule: f.subject.label } : {}),
    related: f.related.map((r) => ({ label: r.label, origin: r.origin })),
    ...(f.space ? { packets: f.space } : {}),
    ...(f.witness ? { witness: formatPacket(f.witness), witnessPacket: f.witness } : {}),
  }));
}

export function formatIsolation(r: IsolationResult): string {
  const out = [`nftlens isolation: ${r.tenants.length} tenant(s), ${r.isolated ? 'ISOLATED — no tenant reaches another' : `BREACHED — ${r.breaches.length} breach(es)`}`, ''];
  const first = 'from \\ to';
  const w = Math.max(6, first.length, ...r.tenants.map((t) => t.length));
  out.push(`  ${first.padEnd(w + 2)}${r.tenants.map((t) => t.padEnd(w + 2)).join('')}`.trimEnd());
  r.tenants.forEach((t, i) => {
    const cells = r.tenants.map((_, j) => (i === j ? (r.matrix[i]![j]! > 0 ? 'self' : '-') : r.matrix[i]![j]! > 0 ? 'BREACH' : 'ok').padEnd(w + 2));
    out.push(`  ${t.padEnd(w + 2)}${cells.join('')}`.trimEnd());
  });
  for (const b of r.breaches) {
    out.push('', `  ✗ ${b.from} → ${b.to}: accepted, decided by ${b.decidedBy.label}`);
    const where = formatOrigin(b.decidedBy.origin);
    if (where) out.push(`      at       ${where}`);
    for (const line of b.cubes) out.push(`      packets  ${line}`);
    out.push(`      witness  ${formatPacket(b.witness)}`);
    out.push(`      accepted by ${b.acceptedBy.join(', ') || '(no rule: policies and no chains)'}`);
  }
  if (r.connections) out.push('', ...formatConnections(r.connections));
  return out.join('\n') + '\n';
}

/** The connection relation: who can open a connection to whom, each with its witness flow. */
function formatConnections(list: readonly Connection[]): string[] {
  const out = ['  connections (first packet and reply accepted):'];
  for (const c of list) {
    if (c.opens) {
      out.push(`  ✗ ${c.from} → ${c.to}: can open a connection`);
      out.push(`      flow     ${formatPacket(c.flow!.flow)}`);
      out.push(`      first    accepted, decided by ${c.decidedBy!.first.label}`);
      out.push(`      reply    accepted, decided by ${c.decidedBy!.reply!.label}`);
    } else if (c.exact) {
      out.push(`  ✓ ${c.from} → ${c.to}: cannot open a connection (${c.reason === 'no-packet' ? 'no packet gets through' : 'packets get through, no reply gets back'})`);
      if (c.flow) out.push(`      e.g.     ${formatPacket(c.flow.flow)}: reply ${c.flow.steps.at(-1)!.result.verdict}, decided by ${c.decidedBy!.reply?.label ?? c.decidedBy!.first.label}`);
    } else {
      out.push(`  ? ${c.from} → ${c.to}: no connection found among ${c.tried} candidate flow(s) whose first packet gets through`);
      const step = c.flow!.failed === 'reply' ? 'reply' : 'first';
      out.push(`      e.g.     ${formatPacket(c.flow!.flow)}: ${step} ${c.flow!.steps.at(-1)!.result.verdict}, decided by ${c.decidedBy![step]!.label}`);
    }
  }
  return out;
}

export function isolationJson(r: IsolationResult): unknown {
  return {
    isolated: r.isolated,
    tenants: r.tenants,
    matrix: r.matrix,
    breaches: r.breaches.map((b) => ({
      from: b.from, to: b.to, decidedBy: b.decidedBy.label, origin: b.decidedBy.origin, acceptedBy: b.acceptedBy,
      packets: b.cubes, headers: b.count, witness: formatPacket(b.witness), witnessPacket: b.witness,
    })),
    ...(r.connections ? {
      connections: r.connections.map((c) => ({
        from: c.from, to: c.to, opens: c.opens, exact: c.exact, ...(c.reason ? { reason: c.reason } : {}), tried: c.tried,
        ...(c.flow ? { flow: formatPacket(c.flow.flow), failed: c.flow.failed, first: c.decidedBy!.first.label, reply: c.decidedBy!.reply?.label } : {}),
      })),
    } : {}),
  };
}

export function formatDiff(d: DiffResult, before: string, after: string): string {
  const out = [`nftlens diff ${before} → ${after}: ${d.changes.length === 0 ? 'no packet changes verdict' : `${d.changes.length} change(s), 2^${Math.log2(d.changed).toFixed(1)} of 2^${Math.log2(d.total).toFixed(1)} headers`}`];
  for (const c of d.changes) {
    out.push('', `  ${formatSide(c.before)} → ${formatSide(c.after)}`);
    for (const line of c.cubes) out.push(`      ${line}: ${c.before.verdict} → ${c.after.verdict}`);
    out.push(`      witness  ${formatPacket(c.witness)}`);
  }
  return out.join('\n') + '\n';
}

export function diffJson(d: DiffResult): unknown {
  return {
    changed: d.changes.length > 0,
    changes: d.changes.map((c) => ({ before: c.before, after: c.after, packets: c.cubes, headers: c.count, witness: formatPacket(c.witness), witnessPacket: c.witness })),
  };
}
