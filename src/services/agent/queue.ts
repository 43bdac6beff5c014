// A de-duplicating work queue with client-go's workqueue semantics, for level-based reconciles:
//   add(k)     k waits once however often it is added; added while in flight, it runs again after
//              (never two workers on one key at a time)
//   get()      the next key, marked in flight (undefined once shut down and drained)
//   done(k)    k's run is over; if it was added meanwhile it goes back in line
//   retry(k)   add k after a backoff that grows with k's consecutive failures (backoff.ts)
//   forget(k)  k succeeded: its failure count restarts
//   shutDown() no more keys handed out once the line is empty; drain() waits for runs in flight
// Timers are injectable (tests drive time by hand).

import { backoffDelay, DEFAULT_BACKOFF, type Backoff } from './backoff.js';

export interface QueueOptions {
  backoff?: Backoff;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

export class WorkQueue {
  private readonly line: string[] = [];
  private readonly waiting = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, unknown>();
  private readonly getters: ((k: string | undefined) => void)[] = [];
  private readonly idle: (() => void)[] = [];
  private closed = false;

  constructor(private readonly opts: QueueOptions = {}) {}

  /** Keys waiting in line (the queue-depth metric). */
  get depth(): number {
    return this.line.length;
  }

  get inFlight(): number {
    return this.processing.size;
  }

  add(key: string): void {
    if (this.closed) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.waiting.has(key)) return;
    const getter = this.getters.shift();
    if (getter) {
      this.processing.add(key);
      getter(key);
      return;
    }
    this.waiting.add(key);
    this.line.push(key);
  }

  /** Adds key after ms (a later call for the same key replaces the earlier timer). */
  addAfter(key: string, ms: number): void {
    if (this.closed) return;
    const set = this.opts.setTimer ?? ((fn, t) => setTimeout(fn, t));
    const clear = this.opts.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
    const old = this.timers.get(key);
    if (old !== undefined) clear(old);
    this.timers.set(key, set(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms));
  }

  /** Adds key after its backoff; returns the delay. */
  retry(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const ms = backoffDelay(n, this.opts.backoff ?? DEFAULT_BACKOFF);
    this.addAfter(key, ms);
    return ms;
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  get(): Promise<string | undefined> {
    const key = this.line.shift();
    if (key !== undefined) {
      this.waiting.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key) && !this.closed) this.add(key);
    if (this.processing.size === 0) for (const f of this.idle.splice(0)) f();
  }

  /** Stops handing out keys: pending timers are dropped, waiting getters get undefined. */
  shutDown(): void {
    this.closed = true;
    const clear = this.opts.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
    for (const t of this.timers.values()) clear(t);
    this.timers.clear();
    this.line.length = 0;
    this.waiting.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }

  /** Resolves when no key is in flight. */
  drain(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}
