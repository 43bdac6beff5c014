// Replay on every core: the main thread cuts a conntrack or JSON-lines file into chunks of whole
// lines (about 1 MiB, with their first line numbers) and hands them to a pool of workers
// (engine/pool.ts) that share one compiled engine module; each worker reads and classifies its
// chunk's flows (replay-worker.ts) and sends back counts, which are merged here in file order —
// so totals, groups and witnesses are those a single thread finds. At most two chunks per worker
// are in flight: memory stays bounded whatever the file's size.

import type { Classifier } from '../../engine/classifier.js';
import type { Environment } from '../../engine/environment.js';
import type { Plan } from '../../engine/plan.js';
import { WorkerPool, orderedMap } from '../../engine/pool.js';
import { engineModule } from '../../engine/wasm.js';
import { lineBlocks } from '../../frontends/flows/lines.js';
import type { FlowDefaults } from './columns.js';
import { Replay, type ReplaySnapshot } from './replay.js';

export interface ReplayInit {
  proposal: { plan: Plan; env: Environment };
  baseline?: { plan: Plan; env: Environment };
  capacity: number;
  format: 'conntrack' | 'jsonl';
  file: string;
  defaults: FlowDefaults;
}

export interface ReplayJob {
  bytes: ArrayBuffer;
  first: number;
}

const CHUNK = 1 << 20;

/** Replays a text flow file's raw bytes on `workers` threads; `onChunk` is called after each merged chunk. */
export async function replayParallel(
  raw: AsyncIterable<Buffer>, file: string, format: 'conntrack' | 'jsonl', proposal: Classifier, baseline: Classifier | undefined,
  defaults: FlowDefaults, workers: number, onChunk?: (merged: Replay) => void,
): Promise<Replay> {
  const pool = await WorkerPool.start<ReplayInit, ReplayJob, ReplaySnapshot>({
    worker: new URL('./replay-worker.js', import.meta.url),
    module: engineModule(),
    init: {
      proposal: { plan: proposal.plan, env: proposal.env },
      ...(baseline ? { baseline: { plan: baseline.plan, env: baseline.env } } : {}),
      capacity: proposal.capacity, format, file, defaults,
    },
    size: workers,
  });
  const replay = new Replay(proposal, baseline, defaults);
  try {
    for await (const s of orderedMap(pool, chunks(raw, file), 2 * pool.size)) {
      replay.merge(s);
      onChunk?.(replay);
    }
  } finally {
    await pool.close();
  }
  return replay;
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
