// Readable and JSON forms of plans, verifications and apply results, for the CLI and for agents.

import { formatSide } from '../../analyses/diff.js';
import { formatPacket } from '../../engine/packet.js';
import { formatOrigin } from '../../model/origin.js';
import { formatPlan } from './plan.js';
import type { ApplyResult, StatusRecord, TableCheck, VerifyResult } from './types.js';

function formatCheck(t: TableCheck): string[] {
  if (t.inSync) return [`in sync  table ${t.id}`];
  const out = [`${t.missing ? 'missing' : 'drifted'}  table ${t.id}`];
  for (const s of t.structural) out.push(`    ${s}`);
  for (const c of t.semantic) {
    out.push(`    behaviour: intent ${formatSide(c.before)} → kernel ${formatSide(c.after)}`);
    for (const line of c.cubes) out.push(`        ${line}`);
    out.push(`        witness  ${formatPacket(c.witness)}`);
  }
  return out;
}

export function formatVerify(v: VerifyResult): string {
  const bad = v.tables.filter((t) => !t.inSync).length;
  const lines = v.tables.flatMap(formatCheck);
  lines.push(v.inSync ? `in sync: the kernel holds the ${v.tables.length} table(s) as intended` : `${bad} of ${v.tables.length} table(s) differ from the intent`);
  return lines.join('\n') + '\n';
}

export function formatApply(a: ApplyResult): string {
  const out = [formatPlan(a.plan).trimEnd()];
  if (a.failure?.reason === 'DryRun') out.push(`${a.failure.message}`);
  else if (a.failure) {
    out.push(`FAILED (${a.failure.reason}): ${a.failure.message}`);
    if (a.failure.origin) out.push(`    at ${formatOrigin(a.failure.origin)}`);
    if (a.rolledBack && a.verify) out.push('what the kernel held after the write:', formatVerify(a.verify).trimEnd());
  } else if (a.written) out.push(`applied and verified: ${a.plan.tables.filter((t) => t.action !== 'unchanged').length} table(s) written in one transaction`);
  return out.join('\n') + '\n';
}

export function verifyJson(v: VerifyResult): unknown {
  return {
    inSync: v.inSync,
    tables: v.tables.map((t) => ({
      table: t.id, inSync: t.inSync, missing: t.missing, structural: t.structural,
      semantic: t.semantic.map((c) => ({ intent: c.before, kernel: c.after, packets: c.cubes, headers: c.count, witness: formatPacket(c.witness) })),
    })),
  };
}

export function applyJson(a: ApplyResult, status: StatusRecord[]): unknown {
  return {
    plan: a.plan, written: a.written, rolledBack: a.rolledBack,
    ...(a.failure ? { failure: { ...a.failure, ...(a.failure.origin ? { at: formatOrigin(a.failure.origin) } : {}) } } : {}),
    ...(a.verify ? { verify: verifyJson(a.verify) } : {}),
    status,
  };
}
