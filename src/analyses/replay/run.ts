// One replay over a flow source, for the CLI and the HTTP service alike: on `workers` threads
// when the file is a conntrack or JSON-lines one and more than one is asked for (parallel.ts;
// the workers read a regular file's byte ranges themselves),
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
    // A regular file's workers read their own byte ranges of it; standard input's bytes are handed over.
    const input = source.path !== undefined && source.read.size !== undefined ? { path: source.path, size: source.read.size } : { raw: source.raw() };
    if ('path' in input) source.close();
    return replayParallel(input, source.file, fmt, proposal, baseline, defaults, opts.workers, (r, bytes) => {
      opts.signal?.throwIfAborted();
      if (bytes !== undefined) source.read.bytes = bytes;
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
