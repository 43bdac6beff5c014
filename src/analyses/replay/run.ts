// One replay over a flow source, for the CLI and the HTTP service alike: on `workers` threads
// when the file is a conntrack or JSON-lines one and more than one is asked for (parallel.ts),
// else a batch at a time in this thread. `progress` is told after each batch (or chunk); a
// `signal` that aborts stops the replay between two batches with its reason.

import type { Classifier } from '../../engine/classifier.js';
import type { FlowSource } from '../../frontends/flows/index.js';
import type { FlowDefaults } from './columns.js';
import { Replay } from './replay.js';

export interface RunOptions {
  workers: number;
  progress?: (r: Replay) => void;
  signal?: AbortSignal;
}

export async function runReplay(source: FlowSource, proposal: Classifier, baseline: Classifier | undefined, defaults: FlowDefaults, opts: RunOptions): Promise<Replay> {
  const fmt = source.format;
  if (opts.workers > 1 && (fmt === 'conntrack' || fmt === 'jsonl')) {
    const { replayParallel } = await import('./parallel.js');
    return replayParallel(source.raw(), source.file, fmt, proposal, baseline, defaults, opts.workers, (r) => {
      opts.signal?.throwIfAborted();
      opts.progress?.(r);
    });
  }
  const replay = new Replay(proposal, baseline, defaults);
  for await (const batch of source.batches()) {
    opts.signal?.throwIfAborted();
    replay.add(batch);
    opts.progress?.(replay);
  }
  return replay;
}

/** What a report says of its source: the format, and for captures the frames that were no flow's packet. */
export function sourceFacts(source: FlowSource): { format: string; skipped?: Record<string, number> } {
  const capture = source.format === 'pcap' || source.format === 'pcapng';
  return { format: source.format ?? 'an empty file', ...(capture ? { skipped: source.capture.skipped } : {}) };
}
