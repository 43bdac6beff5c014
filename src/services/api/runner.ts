// Runs the service's analyses off the event loop: each job in a fresh worker thread, so that the
// server keeps answering (evaluate, /healthz) while one runs, at most `workers` at a time (more
// get BUSY), each stopped (worker.terminate) when it runs past its time limit (TIMEOUT). From the
// sources the worker is a .ts module run through tsx's loader (tests); built, a .js module.

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { NftlensError, type Diagnostic } from '../../model/diagnostics.js';
import { ApiError } from './errors.js';
import type { Job } from './jobs.js';

type Reply = { ok: true; result: unknown } | { ok: false; diagnostics?: Diagnostic[]; internal?: string };

const FROM_SOURCES = import.meta.url.endsWith('.ts');
const WORKER = new URL(FROM_SOURCES ? './analysis-worker.ts' : './analysis-worker.js', import.meta.url);

/** The worker: the built module itself, or from the sources a bootstrap that registers tsx's loader first. */
function spawn(): Worker {
  if (!FROM_SOURCES) return new Worker(WORKER);
  // tsx's ES module API, found from here (require resolves its CommonJS twin, beside it).
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER.href)}); });`;
  return new Worker(code, { eval: true });
}

export class AnalysisRunner {
  private running = new Set<Worker>();

  constructor(private readonly workers: number) {}

  get busy(): number {
    return this.running.size;
  }

  run(job: Job, timeoutMs: number): Promise<unknown> {
    if (this.running.size >= this.workers) {
      return Promise.reject(new ApiError('BUSY', `${this.running.size} analyses are running, the most this server runs at once; retry later`));
    }
    const worker = spawn();
    this.running.add(worker);
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        finish();
        reject(new ApiError('TIMEOUT', `the analysis ran past its limit of ${timeoutMs} ms and was stopped`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.running.delete(worker);
        worker.removeAllListeners();
        worker.on('error', () => {});
        void worker.terminate();
      };
      worker.once('message', (r: Reply) => {
        finish();
        if (r.ok) resolve(r.result);
        else if (r.diagnostics) reject(new NftlensError(r.diagnostics));
        else reject(new Error(`analysis failed: ${r.internal}`));
      });
      worker.once('error', (e) => {
        finish();
        reject(e);
      });
      worker.once('exit', (code) => {
        finish();
        reject(new Error(`analysis worker exited with code ${code}`));
      });
      worker.postMessage(job);
    });
  }

  /** Stops every running analysis (server shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.running].map((w) => w.terminate()));
    this.running.clear();
  }
}
