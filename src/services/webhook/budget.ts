// Runs the webhook's decisions in one worker thread within a time budget, the worker started and
// its modules loaded before the first request (warm). An analysis over budget ends the worker (a
// fresh one is warmed for the next request) and becomes a denial — or, by the policy
// (overBudget: warn), an admission with a warning. An analysis that fails (over its BDD limit, or
// a bug) is a denial: the webhook fails closed.
import { Worker } from 'node:worker_threads';
import type { AdmissionInput, Verdict } from './decide.js';
import type { WebhookPolicy } from './policy.js';

interface Pending {
  resolve(v: Verdict): void;
  timer: NodeJS.Timeout;
}

export class DecisionRunner {
  private worker: Worker | undefined;
  private next = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly policy: WebhookPolicy) {}

  private start(): Worker {
    // Built, the worker is plain JavaScript; from the sources (tests), it is loaded through tsx's loader.
    const w = import.meta.url.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); });`, { eval: true })
      : new Worker(new URL('./worker.js', import.meta.url));
    w.on('message', (m: { id: number; verdict?: Verdict; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      p.resolve(m.verdict ?? { allowed: false, denials: [`the analysis failed, so nftlens denies (fails closed): ${m.error}`], warnings: [] });
    });
    w.on('error', (e) => this.failAll(`the analysis worker failed, so nftlens denies (fails closed): ${e.message}`));
    w.on('exit', () => {
      if (this.worker === w) this.worker = undefined;
    });
    w.unref();
    return w;
  }

  private failAll(message: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ allowed: false, denials: [message], warnings: [] });
      this.pending.delete(id);
    }
  }

  /** The verdict, within `budgetMs` of now. */
  decide(input: AdmissionInput, budgetMs = this.policy.budgetMs): Promise<Verdict> {
    this.worker ??= this.start();
    const worker = this.worker;
    const id = this.next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        // The worker is busy past the budget: end it (and whatever else it held) and warm a fresh one.
        if (this.worker === worker) this.worker = undefined;
        void worker.terminate();
        void this.warm();
        this.failAll(`the analysis of an earlier request ran over its budget; retry`);
        const message = `the analyses did not finish within the webhook's budget of ${budgetMs} ms (${input.others.length + 1} resources)`;
        resolve(this.policy.overBudget === 'warn' ? { allowed: true, denials: [], warnings: [`${message}; admitted unchecked (overBudget: warn)`] } : { allowed: false, denials: [`${message}, so nftlens denies (overBudget: deny)`], warnings: [] });
      }, budgetMs);
      this.pending.set(id, { resolve, timer });
      worker.postMessage({ id, input, policy: this.policy });
    });
  }

  /** Starts the worker and waits until it has loaded the analyses (a first decision, on nothing). */
  async warm(): Promise<void> {
    await this.decide({ operation: 'CONNECT', object: {}, others: [] }, 60_000);
  }

  async close(): Promise<void> {
    this.failAll('the webhook is shutting down');
    await this.worker?.terminate();
    this.worker = undefined;
  }
}
