// A small pool of worker threads that each hold one instance of a shared, compiled WebAssembly
// module: the module is compiled once in the starting thread and posted to every worker, which
// builds its state from it once (`serve`), then answers jobs one at a time (two posted ahead).
// `orderedMap` runs a stream of jobs over the pool with a bounded number in flight and yields the
// results in input order, so a consumer that writes them (and waits for its output) holds memory
// bounded by the window. A worker's module is a file next to its caller: compiled JavaScript in dist/, or, when
// the code runs from TypeScript sources (tests, tsx), the .ts file loaded through tsx.

import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { NftlensError, type Diagnostic } from '../model/diagnostics.js';

export interface PoolOptions<Init> {
  /** The worker's module, as `new URL('./x-worker.js', import.meta.url)` gives it (.js is read as .ts from sources). */
  worker: URL;
  /** The compiled module every worker instantiates once. */
  module: WebAssembly.Module;
  /** Anything structured-cloneable the workers' setup needs besides the module. */
  init: Init;
  /** Workers (default: the machine's available parallelism). */
  size?: number;
}

/** A job's answer on the wire: its value, or the error it threw (an NftlensError keeps its diagnostics). */
type Reply = { id: number; value: unknown } | { id: number; error: { message: string; stack?: string; diagnostics?: Diagnostic[] } };

interface Slot {
  worker: Worker;
  /** Jobs posted to the worker and not answered yet, by id. */
  posted: Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>;
}

/**
 * Jobs posted to a worker ahead of its answers: it starts the next one as soon as it has answered,
 * without waiting for this thread to be scheduled and post it (on a busy machine, a wait each time).
 */
const DEPTH = 2;

export class WorkerPool<Job, Result> {
  private readonly queue: { job: Job; transfer: Transferable[]; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  private next = 0;
  private failure?: Error;

  private constructor(private readonly slots: Slot[]) {
    for (const slot of slots) {
      slot.worker.on('message', (m: Reply) => this.settle(slot, m));
      slot.worker.on('error', (e) => this.fail(e));
      slot.worker.on('exit', (code) => this.fail(new Error(`a worker exited with code ${code}`)));
    }
  }

  /** Starts the workers and waits until each has built its state (a setup that throws rejects, workers stopped). */
  static async start<Init, Job, Result>(opts: PoolOptions<Init>): Promise<WorkerPool<Job, Result>> {
    const size = Math.max(1, opts.size ?? availableParallelism());
    const workers = Array.from({ length: size }, () => spawn(opts.worker, { module: opts.module, init: opts.init }));
    try {
      await Promise.all(workers.map(ready));
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new WorkerPool<Job, Result>(workers.map((worker) => ({ worker, posted: new Map() })));
  }

  get size(): number {
    return this.slots.length;
  }

  /** Runs a job on the least busy worker; `transfer` lists buffers handed over (unusable here afterwards). */
  run(job: Job, transfer: Transferable[] = []): Promise<Result> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.queue.push({ job, transfer, resolve: resolve as (v: unknown) => void, reject });
      this.dispatch();
    });
  }

  /** Stops every worker; jobs not answered yet are rejected. */
  async close(): Promise<void> {
    this.fail(new Error('the worker pool was closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length) {
      let slot: Slot | undefined;
      for (const s of this.slots) if (s.posted.size < DEPTH && (!slot || s.posted.size < slot.posted.size)) slot = s;
      if (!slot) return;
      const item = this.queue.shift()!;
      const id = this.next++;
      slot.posted.set(id, { resolve: item.resolve, reject: item.reject });
      slot.worker.postMessage({ id, job: item.job }, item.transfer as never);
    }
  }

  private settle(slot: Slot, m: Reply): void {
    const job = slot.posted.get(m.id);
    if (!job) return;
    slot.posted.delete(m.id);
    if ('error' in m) job.reject(revive(m.error));
    else job.resolve(m.value);
    this.dispatch();
  }

  /** A worker died (or the pool closed): every pending and queued job is rejected, and any later one. */
  private fail(e: Error): void {
    this.failure ??= e;
    for (const slot of this.slots) {
      for (const job of slot.posted.values()) job.reject(this.failure);
      slot.posted.clear();
    }
    for (const item of this.queue.splice(0)) item.reject(this.failure);
  }
}

/**
 * Runs each job on the pool, at most `window` at a time, and yields the results in the jobs'
 * order. The next job is read only when the consumer has taken a result, so a slow consumer slows
 * the reading. A job that failed throws when its turn comes (results before it are yielded first);
 * ending early (break, throw) stops reading the jobs.
 */
export async function* orderedMap<Job, Result>(
  pool: WorkerPool<Job, Result>,
  jobs: AsyncIterable<{ job: Job; transfer?: Transferable[] }>,
  window = 2 * pool.size,
): AsyncGenerator<Result> {
  const pending: Promise<Result>[] = [];
  const input = jobs[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      while (!done && pending.length < window) {
        const n = await input.next();
        if (n.done) done = true;
        else {
          const p = pool.run(n.value.job, n.value.transfer);
          p.catch(() => undefined); // its turn rethrows it; a later one's failure is not unhandled meanwhile
          pending.push(p);
        }
      }
      const first = pending.shift();
      if (!first) return;
      yield await first;
    }
  } finally {
    if (!done) await input.return?.();
  }
}

/** What a worker's setup returns: the function that answers each job, and the buffers of a result to transfer. */
export interface Handler<Job, Result> {
  run(job: Job): Result;
  transfer?(result: Result): Transferable[];
}

/**
 * The worker side: builds the state from the posted module and init once, says it is ready (or
 * why it is not), then answers jobs. Call it at the top of the worker's module.
 */
export function serve<Init, Job, Result>(setup: (module: WebAssembly.Module, init: Init) => Handler<Job, Result>): void {
  if (isMainThread || !parentPort) throw new Error('serve() runs in a worker thread');
  const port = parentPort;
  const { module, init } = workerData as { module: WebAssembly.Module; init: Init };
  let handler: Handler<Job, Result>;
  try {
    handler = setup(module, init);
  } catch (e) {
    port.postMessage({ ready: false, error: wire(e) });
    return;
  }
  port.on('message', ({ id, job }: { id: number; job: Job }) => {
    let value: Result;
    try {
      value = handler.run(job);
    } catch (e) {
      port.postMessage({ id, error: wire(e) });
      return;
    }
    port.postMessage({ id, value }, (handler.transfer?.(value) ?? []) as never);
  });
  port.postMessage({ ready: true });
}

function wire(e: unknown) {
  if (e instanceof NftlensError) return { message: e.message, diagnostics: e.diagnostics };
  return e instanceof Error ? { message: e.message, stack: e.stack } : { message: String(e) };
}

function revive(e: { message: string; stack?: string; diagnostics?: Diagnostic[] }): Error {
  if (e.diagnostics) return new NftlensError(e.diagnostics);
  const err = new Error(e.message);
  if (e.stack) err.stack = e.stack;
  return err;
}

function ready(w: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (e?: Error) => {
      w.off('message', message).off('error', done).off('exit', exit);
      if (e) reject(e);
      else resolve();
    };
    const message = (m: { ready?: boolean; error?: Parameters<typeof revive>[0] }) => {
      if (m.ready === true) done();
      else if (m.ready === false) done(revive(m.error!));
    };
    const exit = (code: number) => done(new Error(`a worker exited with code ${code} before it was ready`));
    w.on('message', message).on('error', done).on('exit', exit);
  });
}

/** The worker thread: the .js file itself, or from sources its .ts file through tsx (a development dependency). */
function spawn(url: URL, data: { module: WebAssembly.Module; init: unknown }): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(url, { workerData: data });
  const entry = url.href.replace(/\.js$/, '.ts');
  return new Worker(new URL('./pool-tsx.mjs', import.meta.url), { workerData: { ...data, entry } });
}
