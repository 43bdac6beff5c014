// The fake's etcd: every object of every kind under one global resourceVersion counter, the full
// history of changes (so a list can be served at an exact resourceVersion and a watch can resume
// from one), a compaction watermark the test moves (older resourceVersions then answer 410 Gone),
// and the live watchers. Objects are kept per group/resource, whatever version they were written in.
import { expired, type Obj } from './status.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  type: EventType;
  rv: number;
  bucket: string;
  key: string;
  object: Obj;
  /** The object before this change (undefined for ADDED). */
  old: Obj | undefined;
}

export interface Watcher {
  bucket: string;
  deliver(change: Change): void;
}

/** `namespace/name` or `name`: etcd's key order is the list order. */
export const objectKey = (namespace: string | undefined, name: string) => (namespace ? `${namespace}/${name}` : name);

export class Store {
  private rv = 1000;
  private compacted = 0;
  private readonly buckets = new Map<string, Map<string, Obj>>();
  private readonly history: Change[] = [];
  private readonly watchers = new Set<Watcher>();

  get resourceVersion(): number {
    return this.rv;
  }

  get compactedRevision(): number {
    return this.compacted;
  }

  /** Forgets history up to now: lists, continues and watches from an older resourceVersion get 410. */
  compact(): void {
    this.compacted = this.rv;
  }

  private bucket(name: string): Map<string, Obj> {
    let b = this.buckets.get(name);
    if (!b) this.buckets.set(name, (b = new Map()));
    return b;
  }

  get(bucket: string, key: string): Obj | undefined {
    const o = this.bucket(bucket).get(key);
    return o && structuredClone(o);
  }

  /** Current objects in key order. */
  list(bucket: string): Obj[] {
    return [...this.bucket(bucket)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => structuredClone(o));
  }

  /** The objects as they were at resourceVersion `at`, in key order (410 when compacted away). */
  listAt(bucket: string, at: number): Obj[] {
    this.checkNotCompacted(at);
    if (at >= this.rv) return this.list(bucket);
    const state = new Map<string, Obj | undefined>();
    for (const c of this.history) {
      if (c.rv > at) break;
      if (c.bucket === bucket) state.set(c.key, c.type === 'DELETED' ? undefined : c.object);
    }
    return [...state]
      .filter(([, o]) => o !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => structuredClone(o!));
  }

  checkNotCompacted(rv: number): void {
    if (rv < this.compacted) throw expired(`too old resource version: ${rv} (${this.compacted})`);
  }

  /** Stores (or removes, for DELETED) an object under a fresh resourceVersion and tells the watchers. */
  write(bucket: string, key: string, type: EventType, object: Obj): Obj {
    const rv = ++this.rv;
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(rv);
    const old = this.bucket(bucket).get(key);
    if (type === 'DELETED') this.bucket(bucket).delete(key);
    else this.bucket(bucket).set(key, stored);
    const change: Change = { type, rv, bucket, key, object: stored, old };
    this.history.push(change);
    for (const w of this.watchers) if (w.bucket === bucket) w.deliver(change);
    return structuredClone(stored);
  }

  /** Registers a watcher after replaying the changes of its bucket since `since` (exclusive). */
  watch(watcher: Watcher, since: number): () => void {
    this.checkNotCompacted(since);
    for (const c of this.history) if (c.rv > since && c.bucket === watcher.bucket) watcher.deliver(c);
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Drops every watcher (an API server restart). */
  dropWatchers(): void {
    this.watchers.clear();
  }
}
