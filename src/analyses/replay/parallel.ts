// Replay on every core: a conntrack or JSON-lines file is cut into jobs handed to a pool of
// workers (engine/pool.ts) that share one compiled engine module; each worker reads and
// classifies its job's flows (replay-worker.ts) and sends back counts, which are merged here in
// file order — so totals, groups, witnesses and the first error are those a single thread finds.
// A regular file is cut into byte ranges (2 MiB) that the workers read themselves
// (frontends/flows/ranges.ts): this thread reads nothing, and each worker numbers its lines from 1,
// shifted here by the lines of the ranges before. Standard input is cut here into chunks of whole
// lines (about 1 MiB, with their first line numbers) copied to the workers. At most two jobs per
// worker are in flight: memory stays bounded whatever the file's size.

import type { Classifier } from '../../engine/classifier.js';
import type { Environment } from '../../engine/environment.js';
import type { Plan } from '../../engine/plan.js';
import { WorkerPool, orderedMap } from '../../engine/pool.js';
import { engineModule } from '../../engine/wasm.js';
import { lineBlocks } from '../../frontends/flows/lines.js';
import { RANGE } from '../../frontends/flows/ranges.js';
import { NftlensError } from '../../model/diagnostics.js';
import type { FlowDefaults } from './columns.js';
import { Replay, type ReplaySnapshot } from './replay.js';

export interface ReplayInit {
  proposal: { plan: Plan; env: Environment };
  baseline?: { plan: Plan; env: Environment };
  capacity: number;
  format: 'conntrack' | 'jsonl';
  file: string;
  defaults: FlowDefaults;
  /** The file's path and size, for byte-range jobs. */
  path?: string;
  size?: number;
}

/** Whole lines from this thread, or a byte range [start, end) of the file for the worker to read. */
export type ReplayJob = { bytes: ArrayBuffer; first: number } | { start: number; end: number };

/** A job's counts, and the lines it read (a byte range's lines are numbered from 1). */
export interface ReplayResult extends ReplaySnapshot {
  lines: number;
}

const CHUNK = 1 << 20;

/** Where the flows come from: a regular file's path and size, or its bytes as read. */
export type ReplayInput = { path: string; size: number } | { raw: AsyncIterable<Buffer> };

/**
 * Replays a text flow file on `workers` threads; `onChunk` is called after each merged job with the
 * bytes done so far (byte ranges only). `range`: the byte ranges' size (tests make it small).
 */
export async function replayParallel(
  input: ReplayInput, file: string, format: 'conntrack' | 'jsonl', proposal: Classifier, baseline: Classifier | undefined,
  defaults: FlowDefaults, workers: number, onChunk?: (merged: Replay, bytes?: number) => void, range = RANGE,
): Promise<Replay> {
  const byRange = 'path' in input;
  const pool = await WorkerPool.start<ReplayInit, ReplayJob, ReplayResult>({
    worker: new URL('./replay-worker.js', import.meta.url),
    module: engineModule(),
    init: {
      proposal: { plan: proposal.plan, env: proposal.env },
      ...(baseline ? { baseline: { plan: baseline.plan, env: baseline.env } } : {}),
      capacity: proposal.capacity, format, file, defaults,
      ...(byRange ? { path: input.path, size: input.size } : {}),
    },
    size: workers,
  });
  const replay = new Replay(proposal, baseline, defaults);
  /** Lines of the jobs merged so far. */
  let base = 0;
  let bytes = 0;
  try {
    // A range's job is two numbers and its result a few small arrays: more in flight keeps a worker
    // busy while the one ahead in file order is slow (the other core taken by something else).
    for await (const r of orderedMap(pool, byRange ? ranges(input.size, range) : chunks(input.raw, file), (byRange ? 8 : 2) * pool.size)) {
      if (byRange) {
        for (const [, c] of r.changes) if (c.witnessAt.line !== undefined) c.witnessAt = { ...c.witnessAt, line: c.witnessAt.line + base };
        base += r.lines;
        bytes = Math.min(input.size, bytes + range);
      }
      replay.merge(r);
      onChunk?.(replay, byRange ? bytes : undefined);
    }
  } catch (e) {
    throw byRange ? shifted(e, file, base) : e;
  } finally {
    await pool.close();
  }
  return replay;
}

/** A byte range's error with its lines numbered in the file (`base` lines before the range). */
function shifted(e: unknown, file: string, base: number): unknown {
  if (!(e instanceof NftlensError)) return e;
  return new NftlensError(e.diagnostics.map((d) => (d.origin.file === file && d.origin.line !== undefined ? { ...d, origin: { ...d.origin, line: d.origin.line + base } } : d)));
}

/** The file's byte ranges, `range` bytes each. */
async function* ranges(size: number, range: number): AsyncGenerator<{ job: ReplayJob }> {
  for (let start = 0; start < size; start += range) yield { job: { start, end: Math.min(size, start + range) } };
}

/** Whole-line chunks of about CHUNK bytes, each copied into its own buffer (transferred to a worker). */
async function* chunks(raw: AsyncIterable<Buffer>, file: string): AsyncGenerator<{ job: ReplayJob; transfer: Transferable[] }> {
  let parts: Buffer[] = [];
  let size = 0;
  let first = 1;
  const job = () => {
    const bytes = new ArrayBuffer(size);
    const view = new Uint8Array(bytes);
    let at = 0;
    for (const p of parts) {
      view.set(p, at);
      at += p.length;
    }
    const j = { job: { bytes, first }, transfer: [bytes] };
    parts = [];
    size = 0;
    return j;
  };
  for await (const b of lineBlocks(raw, file)) {
    if (!parts.length) first = b.first;
    parts.push(b.buf);
    size += b.buf.length;
    if (size >= CHUNK) yield job();
  }
  if (size) yield job();
}
