// The FirewallConfiguration informer: client-node's ListWatch (list, then watch from the list's
// resourceVersion; a watch that ends is resumed from the last resourceVersion seen; 410 Gone —
// too old a version — makes it list again, reporting objects gone meanwhile as deleted) plus what
// ListWatch leaves to its user: after an error it stops, so this restarts it with backoff and
// jitter, and says when the first full list has been delivered (the agent's readiness, and the
// moment orphaned tables may be judged). Events are passed on as the keys `namespace/name`.

import { ListWatch, Watch, type KubeConfig } from '@kubernetes/client-node';
import { backoffDelay, DEFAULT_BACKOFF, type Backoff } from './backoff.js';
import { FC, type FcObject, type KubeClient } from '../kube/client.js';

export type InformerEvent = 'add' | 'update' | 'delete';

export interface InformerOptions {
  labelSelector?: string;
  backoff?: Backoff;
  onEvent: (kind: InformerEvent, o: FcObject) => void;
  onError?: (e: unknown, retryInMs: number) => void;
  /** After every successful list (the first one makes the informer synced). */
  onList?: (count: number) => void;
}

export function keyOf(o: { metadata?: { namespace?: string; name?: string } }): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

export class FcInformer {
  private readonly lw: ListWatch<FcObject>;
  private stopped = false;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private listedOnce = false;
  private syncedResolve!: () => void;
  /** Resolves once the first full list has been delivered. */
  readonly synced: Promise<void> = new Promise((r) => (this.syncedResolve = r));
  lists = 0;

  constructor(config: KubeConfig, kube: KubeClient, private readonly opts: InformerOptions) {
    const path = `/apis/${FC.group}/${FC.version}/${FC.plural}`;
    const list = async () => {
      const l = await kube.listFirewallConfigurations(opts.labelSelector);
      this.lists++;
      this.listedOnce = true;
      this.failures = 0;
      // ListWatch delivers the items right after this resolves; report the list after them
      queueMicrotask(() => opts.onList?.(l.items.length));
      return l;
    };
    this.lw = new ListWatch<FcObject>(path, new Watch(config), list, false, opts.labelSelector);
    for (const kind of ['add', 'update', 'delete'] as const) {
      this.lw.on(kind, (o) => {
        this.failures = 0;
        opts.onEvent(kind, o);
      });
    }
    this.lw.on('error', (e) => this.failed(e));
  }

  get(key: string): FcObject | undefined {
    const [ns, name] = key.split('/', 2);
    return this.lw.get(name ?? '', ns || undefined);
  }

  list(): readonly FcObject[] {
    return this.lw.list();
  }

  async start(): Promise<void> {
    this.stopped = false;
    try {
      await this.lw.start();
    } catch (e) {
      this.failed(e);
      return;
    }
    if (this.listedOnce) this.syncedResolve();
  }

  private failed(e: unknown): void {
    if (this.stopped) return;
    const ms = backoffDelay(this.failures++, this.opts.backoff ?? DEFAULT_BACKOFF);
    this.opts.onError?.(e, ms);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.start(), ms);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.lw.stop();
  }
}
