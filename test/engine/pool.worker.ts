// A worker for the pool's tests: instantiates the posted engine module once and answers jobs
// with what it computed, from which thread, after an optional busy wait; fails on demand.
import { threadId } from 'node:worker_threads';
import { serve } from '../../src/engine/pool.js';
import { NftlensError } from '../../src/model/diagnostics.js';

export interface Job {
  n: number;
  spinMs?: number;
  fail?: 'plain' | 'located';
  bytes?: ArrayBuffer;
}
export interface Answer {
  n: number;
  layout: number;
  thread: number;
  instances: number;
  sum: number;
  bytes: ArrayBuffer;
}

serve<{ failSetup?: boolean; salt: number }, Job, Answer>((module, init) => {
  if (init.failSetup) throw NftlensError.of('INPUT_READ', 'setup refused', { file: 'x' });
  const engine = new WebAssembly.Instance(module, {}).exports as { layoutVersion(): number };
  let instances = 1;
  return {
    run(job) {
      const end = performance.now() + (job.spinMs ?? 0);
      while (performance.now() < end);
      if (job.fail === 'plain') throw new Error(`job ${job.n} failed`);
      if (job.fail === 'located') throw NftlensError.of('INPUT_PARSE', `job ${job.n} is bad`, { file: 'f', line: job.n });
      const bytes = new Uint8Array(job.bytes ?? new ArrayBuffer(0));
      let sum = init.salt;
      for (const b of bytes) sum += b;
      return { n: job.n, layout: engine.layoutVersion(), thread: threadId, instances, sum, bytes: bytes.map((b) => b + 1).buffer };
    },
    transfer: (a) => [a.bytes],
  };
});
