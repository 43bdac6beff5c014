// The worker pool: every worker instantiates the one posted module once; results come back in
// input order whatever order the workers finish in; a failed job throws at its turn, after the
// results before it, with its diagnostics; buffers are transferred both ways; the window bounds
// the jobs in flight; a failing setup rejects the start.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderedMap, WorkerPool } from '../../src/engine/pool.js';
import { ENGINE_WASM } from '../../src/engine/wasm.js';
import { LAYOUT_VERSION } from '../../src/engine/layout.js';
import { NftlensError } from '../../src/model/diagnostics.js';
import type { Answer, Job } from './pool.worker.js';

const worker = new URL('./pool.worker.js', import.meta.url);
const module = new WebAssembly.Module(readFileSync(ENGINE_WASM));

async function* jobs(list: Job[], read: number[] = []) {
  for (const job of list) {
    read.push(job.n);
    yield { job, transfer: job.bytes ? [job.bytes] : [] };
  }
}

describe('WorkerPool', () => {
  let pool: WorkerPool<Job, Answer>;
  beforeAll(async () => {
    pool = await WorkerPool.start<{ salt: number }, Job, Answer>({ worker, module, init: { salt: 1000 }, size: 3 });
  }, 30_000);
  afterAll(() => pool.close());

  it('yields results in input order though later jobs finish first, each worker using its one instance', async () => {
    // Early jobs spin longest, so the workers finish them last.
    const list = Array.from({ length: 12 }, (_, n) => ({ n, spinMs: n < 3 ? 60 : 1, bytes: Uint8Array.from([n, 2 * n]).buffer }));
    const out: Answer[] = [];
    for await (const a of orderedMap(pool, jobs(list), 6)) out.push(a);
    expect(out.map((a) => a.n)).toEqual(list.map((j) => j.n));
    expect(out.map((a) => a.sum)).toEqual(list.map((j) => 1000 + 3 * j.n));
    expect([...new Uint8Array(out[5]!.bytes)]).toEqual([6, 11]);
    expect(list[5]!.bytes.byteLength).toBe(0); // transferred, not copied
    expect(new Set(out.map((a) => a.layout))).toEqual(new Set([LAYOUT_VERSION]));
    expect(new Set(out.map((a) => a.thread)).size).toBe(3);
    expect(new Set(out.map((a) => a.instances))).toEqual(new Set([1]));
  });

  it('reads no further ahead than the window', async () => {
    const read: number[] = [];
    const it = orderedMap(pool, jobs(Array.from({ length: 50 }, (_, n) => ({ n })), read), 4)[Symbol.asyncIterator]();
    expect((await it.next()).value.n).toBe(0);
    expect(read.length).toBe(4);
    expect((await it.next()).value.n).toBe(1);
    expect(read.length).toBe(5);
    await it.return(undefined);
  });

  it('a failed job throws at its turn, after the results before it, even when a later job failed first', async () => {
    const list: Job[] = Array.from({ length: 10 }, (_, n) => ({ n, spinMs: n === 4 ? 80 : 0, fail: n === 4 ? 'located' : n === 6 ? 'plain' : undefined }));
    const seen: number[] = [];
    let error: unknown;
    try {
      for await (const a of orderedMap(pool, jobs(list), 5)) seen.push(a.n);
    } catch (e) {
      error = e;
    }
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(error).toBeInstanceOf(NftlensError);
    expect((error as NftlensError).diagnostics).toEqual([{ code: 'INPUT_PARSE', severity: 'error', message: 'job 4 is bad', origin: { file: 'f', line: 4 } }]);
    // The pool is still usable afterwards.
    expect((await pool.run({ n: 99 })).n).toBe(99);
  });

  it('a worker error that is not an NftlensError comes back as an Error', async () => {
    await expect(pool.run({ n: 7, fail: 'plain' })).rejects.toThrow('job 7 failed');
  });
});

describe('WorkerPool start and close', () => {
  it('a setup that throws rejects the start with its error', async () => {
    await expect(WorkerPool.start({ worker, module, init: { salt: 0, failSetup: true }, size: 2 })).rejects.toThrow(/INPUT_READ.*setup refused/);
  }, 30_000);

  it('closing rejects jobs still waiting', async () => {
    const pool = await WorkerPool.start<{ salt: number }, Job, Answer>({ worker, module, init: { salt: 0 }, size: 1 });
    const slow = expect(pool.run({ n: 1, spinMs: 200 })).rejects.toThrow(/closed/);
    const queued = expect(pool.run({ n: 2 })).rejects.toThrow(/closed/);
    await pool.close();
    await slow;
    await queued;
    await expect(pool.run({ n: 3 })).rejects.toThrow(/closed/);
  }, 30_000);
});
