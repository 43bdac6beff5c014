// Status records: one per (resource, host), with conditions shaped like Kubernetes' metav1.Condition
// so that an agent can write them to the resource's status as they are. `Applied` says whether the
// last apply put the resource's tables in place; `InSync` whether the kernel holds them now.
// lastTransitionTime is the time of this observation: the agent that keeps the previous status
// keeps the earlier time when the status did not change.

import { hostname } from 'node:os';
import { formatOrigin } from '../../model/origin.js';
import type { ApplyResult, Condition, ConditionReason, Intent, ResourceRef, StatusRecord, TableCheck, VerifyResult } from './types.js';

export function defaultHost(netns?: string): string {
  return netns ? `${hostname()}/${netns}` : hostname();
}

function condition(type: Condition['type'], ok: boolean | undefined, reason: ConditionReason, message: string, r: ResourceRef, now: string): Condition {
  const c: Condition = { type, status: ok === undefined ? 'Unknown' : ok ? 'True' : 'False', reason, message, lastTransitionTime: now };
  if (r.generation !== undefined) c.observedGeneration = r.generation;
  return c;
}

function inSync(r: ResourceRef, v: VerifyResult | undefined, now: string): Condition {
  const checks = (v?.tables ?? []).filter((t) => r.tables.includes(t.id));
  if (!v || checks.length === 0) return condition('InSync', undefined, 'Drifted', 'not verified', r, now);
  const bad: TableCheck[] = checks.filter((t) => !t.inSync);
  if (bad.length === 0) return condition('InSync', true, 'InSync', `the kernel holds ${r.tables.join(', ')} as intended`, r, now);
  const unreadable = bad.some((t) => t.structural.some((s) => s.includes('cannot be read back')));
  const first = bad[0]!;
  const what = first.missing ? 'missing' : `${first.structural.length} structural difference(s), ${first.semantic.length} behaviour difference(s)`;
  return condition('InSync', false, unreadable ? 'NftUnsupported' : 'Drifted', `table ${first.id}: ${what}: ${first.structural[0] ?? ''}`, r, now);
}

function applied(r: ResourceRef, a: ApplyResult, now: string): Condition {
  const f = a.failure;
  if (!f) {
    const changed = a.plan.tables.some((t) => r.tables.includes(t.id) && t.action !== 'unchanged');
    return condition('Applied', true, 'Applied', changed ? 'written in one transaction and verified' : 'already in place: nothing written', r, now);
  }
  if (f.reason === 'DryRun') return condition('Applied', undefined, 'DryRun', f.message, r, now);
  const mine = f.origin?.table !== undefined && r.tables.includes(f.origin.table);
  const where = f.origin ? ` at ${formatOrigin(f.origin)}` : '';
  const message = f.origin && !mine ? `not applied: the transaction failed on another resource's table${where}` : `${f.message}${where}`;
  return condition('Applied', false, f.reason, message, r, now);
}

export function statusRecords(intent: Intent, result: { apply?: ApplyResult; verify?: VerifyResult }, host: string, now = new Date()): StatusRecord[] {
  const t = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const v = result.verify ?? result.apply?.verify;
  return intent.resources.map((r) => ({
    resource: r.name,
    kind: r.kind,
    host,
    conditions: [...(result.apply ? [applied(r, result.apply, t)] : []), inSync(r, v, t)],
  }));
}
