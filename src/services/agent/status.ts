// Per-host status in Liqo's shape, for the readers Liqo already has: status.conditions[] holds one
// entry per host, {host, type, status, lastTransitionTime}, type Applied with status True once the
// host applied the resource and False when it could not (as Liqo's gateway writes it). nftlens adds
// reason, message and observedGeneration (from the gateway applier's status record) — stored
// where the CRD declares them, pruned by the API server where it does not (Liqo's own CRD).
// lastTransitionTime moves only when status changes; the entry is rewritten only when something
// in it changed, so a level-based reconcile that finds everything in place writes nothing.

import type { Condition } from '../../backends/gateway/index.js';
import type { FcObject } from '../kube/client.js';

export interface HostCondition {
  host: string;
  type: 'Applied' | 'Error';
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

/** A host's entry from the applier's Applied condition (or a failure found before applying). */
export function hostCondition(host: string, c: Pick<Condition, 'status' | 'reason' | 'message' | 'observedGeneration'> & { lastTransitionTime?: string }, now: Date): HostCondition {
  const out: HostCondition = {
    host, type: 'Applied', status: c.status,
    lastTransitionTime: c.lastTransitionTime ?? now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    reason: c.reason, message: c.message,
  };
  if (c.observedGeneration !== undefined) out.observedGeneration = c.observedGeneration;
  return out;
}

/**
 * Liqo's CRD declares only host, type, status and lastTransitionTime: an API server serving it
 * prunes reason, message and observedGeneration (they are kept where the CRD declares them, see
 * README). A field the stored entry lacks is therefore not compared — else every reconcile
 * would rewrite a status the server prunes back to the same.
 */
const EXTRA = ['reason', 'message', 'observedGeneration'] as const;
const same = (a: Record<string, unknown>, b: HostCondition) =>
  a.type === b.type && a.status === b.status && EXTRA.every((k) => !(k in a) || a[k] === b[k]);

/**
 * The object with its host entry set to `next` (other hosts' entries kept, in order), or
 * undefined when the entry already says the same.
 */
export function withHostCondition(o: FcObject, next: HostCondition): FcObject | undefined {
  const list = o.status?.conditions ?? [];
  const i = list.findIndex((c) => c.host === next.host);
  const old = i >= 0 ? list[i]! : undefined;
  if (old && same(old, next)) return undefined;
  const entry = old && old.status === next.status && typeof old.lastTransitionTime === 'string' ? { ...next, lastTransitionTime: old.lastTransitionTime } : next;
  const conditions = i >= 0 ? list.map((c, j) => (j === i ? entry : c)) : [...list, entry];
  return { ...o, status: { ...(o.status ?? {}), conditions } } as FcObject;
}
