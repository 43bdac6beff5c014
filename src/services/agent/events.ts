// Kubernetes Events (core/v1) the agent records on a FirewallConfiguration, as a controller's event
// recorder does, for the transitions people watch with `kubectl get events` / `kubectl describe`:
//   Applied   (Normal)   this host applied a new generation (or a new state after a failure)
//   Drifted   (Warning)  the kernel had drifted from the resource: re-applied (each time)
//   NftError  (Warning)  nft refused the transaction (once per failure, not per retry)
// An event that cannot be written is logged and dropped: it never fails a reconcile.
import type { Logger } from '../../backends/gateway/telemetry.js';
import type { FcObject, KubeClient } from '../kube/client.js';

export type EventReason = 'Applied' | 'Drifted' | 'NftError';
const TYPE: Record<EventReason, 'Normal' | 'Warning'> = { Applied: 'Normal', Drifted: 'Warning', NftError: 'Warning' };

/** The core/v1 Event for a resource (named as client-go's recorder names them: object name, a dot, a unique suffix). */
export function eventFor(o: FcObject, reason: EventReason, message: string, host: string, now: Date, seq = 0): Record<string, unknown> {
  const at = now.toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${o.metadata.name}.${now.getTime().toString(16)}${seq.toString(16).padStart(4, '0')}`, namespace: o.metadata.namespace ?? 'default' },
    involvedObject: {
      apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace,
      ...(o.metadata.uid ? { uid: o.metadata.uid } : {}), ...(o.metadata.resourceVersion ? { resourceVersion: o.metadata.resourceVersion } : {}),
    },
    reason,
    message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
    type: TYPE[reason],
    source: { component: 'nftlens-agent', host },
    reportingComponent: 'nftlens-agent',
    reportingInstance: host,
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
}

/**
 * Records events, one per transition of each resource: the same reason at the same generation
 * again is not repeated. Drifted always is, and leaves the resource's state as it was (applied).
 */
export class EventRecorder {
  private readonly last = new Map<string, string>();
  private seq = 0;

  constructor(private readonly kube: KubeClient, private readonly host: string, private readonly log: Logger) {}

  async record(o: FcObject, reason: EventReason, message: string): Promise<void> {
    const key = `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const state = `${reason}@${o.metadata.generation ?? ''}`;
    if (reason !== 'Drifted') {
      if (this.last.get(key) === state) return;
      this.last.set(key, state);
    }
    try {
      await this.kube.createEvent(eventFor(o, reason, message, this.host, new Date(), this.seq++ & 0xffff));
    } catch (e) {
      this.log.warn({ resource: key, reason, err: (e as Error).message }, 'event not recorded');
    }
  }

  /** The resource is gone: its next event starts afresh. */
  forget(key: string): void {
    this.last.delete(key);
  }
}
