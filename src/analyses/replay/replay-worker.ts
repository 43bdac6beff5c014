// A replay pool worker: builds the proposal's (and baseline's) classifier once from their plans
// and the shared engine module, then for each job — a chunk of whole lines of a conntrack or
// JSON-lines file with its first line number, or a byte range of the file that it reads itself,
// its lines numbered from 1 — reads its flows, classifies them in batches and sends back the
// counts and the lines read (parallel.ts merges them in file order).

import { workerData } from 'node:worker_threads';
import { Classifier } from '../../engine/classifier.js';
import { serve } from '../../engine/pool.js';
import { FlowBatch } from '../../frontends/flows/batch.js';
import { ConntrackLine } from '../../frontends/flows/conntrack.js';
import { LineCursor, blockFlows } from '../../frontends/flows/lines.js';
import { RangeReader } from '../../frontends/flows/ranges.js';
import { Replay } from './replay.js';
import type { ReplayInit, ReplayJob, ReplayResult } from './parallel.js';

// The JSON-lines reader (and the CSV parser its module loads) only for a JSON-lines file: less for
// every worker to load before its first job.
const { format } = (workerData as { init: ReplayInit }).init;
const JsonLine = format === 'jsonl' ? (await import('../../frontends/flows/records.js')).JsonLine : undefined;

serve<ReplayInit, ReplayJob, ReplayResult>((module, init) => {
  const proposal = new Classifier(init.proposal.plan, init.proposal.env, init.capacity, module);
  const baseline = init.baseline && new Classifier(init.baseline.plan, init.baseline.env, init.capacity, module);
  const parser = JsonLine ? new JsonLine(init.file) : new ConntrackLine(init.file);
  const batch = new FlowBatch(init.file, 'line');
  const cursor = new LineCursor(init.file);
  const ranges = init.path !== undefined ? new RangeReader(init.path, init.file, init.size!) : undefined;
  return {
    run(job) {
      const replay = new Replay(proposal, baseline, init.defaults);
      batch.n = 0;
      const block = 'bytes' in job ? { buf: Buffer.from(job.bytes), first: job.first } : ranges!.read(job.start, job.end);
      let lines = 0;
      if (block) {
        for (const full of blockFlows(block, parser, batch, cursor)) replay.add(full);
        if (batch.n) replay.add(batch);
        lines = cursor.line - block.first + 1;
      }
      return { ...replay.snapshot(), lines };
    },
    transfer: (s) => [...s.tally, ...(s.baselineTally ?? [])].map((a) => a.buffer as ArrayBuffer),
  };
});
