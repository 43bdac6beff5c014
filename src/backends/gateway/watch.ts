// Drift watch: re-check the owned tables against the intent on a timer and whenever the kernel
// reports a change to one of them (a RulesetMonitor filtered to the intent's tables, debounced),
// and re-apply when asked to heal. Level-based, like a controller's reconcile: every sync reads
// the kernel afresh, so a burst of events costs one check, and syncs never overlap (an event
// during a sync queues exactly one more). The check and the heal are injected — the CLI passes
// the gateway's verify and apply — so the loop is tested without a kernel too.

import { tableId } from '../../model/ruleset.js';
import { canonMemo, compareState } from './compare.js';
import { RulesetMonitor, type RulesetEvent } from './monitor.js';
import { OWNER_DEFAULT } from './owner.js';
import { readOwned } from './state.js';
import type { GatewayMetrics, Logger } from './telemetry.js';
import type { Intent, VerifyResult } from './types.js';
import { expectedForms } from './verify.js';
import { renderMemo } from './form.js';

/** What the loop needs of a verification (gw-core's VerifyResult has this shape). */
export interface SyncCheck {
  inSync: boolean;
  tables: { id: string; inSync: boolean; structural: string[]; missing?: boolean }[];
}

/**
 * The check watch runs each time: list the intent's owned tables and compare (nft's start check
 * is the caller's, once). The intent is rendered, and canonicalised when needed, once for all
 * checks; a listing of the rendered intent's form, or of the form the last verified write
 * recorded, is in sync without an import.
 */
export function ownedCheck(intent: Intent, opts: { netns?: string; owner?: string }): () => Promise<VerifyResult> {
  const canon = canonMemo();
  const rendered = renderMemo();
  const expect = expectedForms(intent, rendered);
  const ids = intent.ruleset.tables.map(tableId);
  const whileListing = () => intent.ruleset.tables.forEach(rendered); // the first check renders while nft lists
  return async () => compareState(intent.ruleset.tables, await readOwned(ids, { netns: opts.netns, owner: opts.owner ?? OWNER_DEFAULT, expect, whileListing }), canon);
}

export interface HealOutcome {
  ok: boolean;
  message?: string;
}

export interface WatchOptions {
  netns?: string;
  /** `family name` of the intent's tables: the monitor passes on only their events. */
  tables: readonly string[];
  /** Rules per intent table, for the rules gauge. */
  ruleCounts?: ReadonlyMap<string, number>;
  check: () => Promise<SyncCheck>;
  /** Present with --heal: re-applies the intent. */
  heal?: () => Promise<HealOutcome>;
  intervalMs: number;
  /** Quiet time after an event before checking (default 200 ms). */
  debounceMs?: number;
  /** Listen to `nft monitor` (default true); without it only the timer drives checks. */
  monitor?: boolean;
  log: Logger;
  metrics: GatewayMetrics;
  /** The nft binary for the monitor. */
  nftPath?: string;
}

export interface SyncReport {
  /** When the check started, and when it had its answer (before any heal). */
  at: number;
  checkedAt?: number;
  trigger: string;
  inSync: boolean;
  drifted: string[];
  healed?: boolean;
  error?: string;
}

export class Watcher {
  private monitor?: RulesetMonitor;
  private timer?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private running?: Promise<void>;
  private pending?: string;
  private stopped = false;
  private readonly listeners: ((r: SyncReport) => void)[] = [];
  /** Syncs done, in order (the last few hundred). */
  readonly history: SyncReport[] = [];

  constructor(private readonly opts: WatchOptions) {
    for (const [table, n] of opts.ruleCounts ?? []) opts.metrics.rules.set({ table }, n);
  }

  /** Runs a first sync, then starts the monitor and the timer. */
  async start(): Promise<void> {
    if (this.opts.monitor !== false) this.startMonitor();
    await this.sync('start');
    if (this.stopped) return;
    this.timer = setInterval(() => this.request('interval'), this.opts.intervalMs);
  }

  onSync(fn: (r: SyncReport) => void): void {
    this.listeners.push(fn);
  }

  get monitorPid(): number | undefined {
    return this.monitor?.pid;
  }

  private startMonitor(): void {
    const tables = new Set(this.opts.tables);
    this.monitor = RulesetMonitor.start({
      netns: this.opts.netns,
      tables,
      nftPath: this.opts.nftPath,
      onIgnored: () => this.opts.metrics.events.inc({ kind: 'ignored' }),
      onEvent: (e: RulesetEvent) => {
        this.opts.metrics.events.inc({ kind: 'owned' });
        this.opts.log.debug({ event: e }, 'ruleset event on an owned table');
        this.schedule(`${e.op} ${e.object} ${e.table}`);
      },
      onExit: (reason) => {
        this.opts.log.error({ reason }, 'nft monitor ended; restarting it in 1 s (the timer still checks)');
        setTimeout(() => {
          if (!this.stopped) this.startMonitor();
        }, 1000).unref();
      },
    });
    this.opts.log.debug({ pid: this.monitor.pid, netns: this.opts.netns ?? null }, 'nft monitor started');
  }

  /** An event: check once the kernel has been quiet for debounceMs. */
  private schedule(trigger: string): void {
    if (this.stopped) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.request(trigger);
    }, this.opts.debounceMs ?? 200);
  }

  /** Runs a sync now, or once more after the one running. */
  private request(trigger: string): void {
    if (this.stopped) return;
    if (this.running) {
      this.pending ??= trigger;
      return;
    }
    void this.sync(trigger);
  }

  private sync(trigger: string): Promise<void> {
    const run = this.syncOnce(trigger).finally(() => {
      this.running = undefined;
      const next = this.pending;
      this.pending = undefined;
      if (next !== undefined) this.request(next);
    });
    this.running = run;
    return run;
  }

  private async syncOnce(trigger: string): Promise<void> {
    const { metrics, log } = this.opts;
    const report: SyncReport = { at: Date.now(), trigger, inSync: false, drifted: [] };
    const end = metrics.syncDuration.startTimer({ op: 'check' });
    try {
      const check = await this.opts.check();
      end();
      report.checkedAt = Date.now();
      for (const t of check.tables) metrics.inSync.set({ table: t.id }, t.inSync ? 1 : 0);
      report.drifted = check.tables.filter((t) => !t.inSync).map((t) => t.id);
      report.inSync = check.inSync;
      if (check.inSync) {
        metrics.lastSync.setToCurrentTime();
        log.debug({ trigger }, 'in sync');
      } else {
        for (const t of check.tables.filter((x) => !x.inSync)) {
          metrics.drift.inc({ table: t.id });
          log.warn({ trigger, table: t.id, missing: t.missing ?? false, differences: t.structural.slice(0, 20) }, 'drift detected');
        }
        if (this.opts.heal && !this.stopped) await this.healOnce(report);
      }
    } catch (e) {
      end();
      metrics.failures.inc({ op: 'check' });
      report.error = e instanceof Error ? e.message : String(e);
      log.error({ trigger, err: report.error }, 'check failed');
    }
    this.history.push(report);
    if (this.history.length > 500) this.history.shift();
    for (const fn of this.listeners) fn(report);
  }

  private async healOnce(report: SyncReport): Promise<void> {
    const { metrics, log } = this.opts;
    const end = metrics.syncDuration.startTimer({ op: 'heal' });
    try {
      const r = await this.opts.heal!();
      end();
      report.healed = r.ok;
      if (r.ok) {
        metrics.lastSync.setToCurrentTime();
        for (const id of report.drifted) metrics.inSync.set({ table: id }, 1);
        log.info({ tables: report.drifted }, 'healed: the intent re-applied and verified');
      } else {
        metrics.failures.inc({ op: 'heal' });
        log.error({ tables: report.drifted, err: r.message }, 'heal failed');
      }
    } catch (e) {
      end();
      metrics.failures.inc({ op: 'heal' });
      report.healed = false;
      log.error({ tables: report.drifted, err: e instanceof Error ? e.message : String(e) }, 'heal failed');
    }
  }

  /** Stops the timer and the monitor child, and waits for a sync in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    this.pending = undefined;
    await this.monitor?.stop();
    await this.running;
  }
}
