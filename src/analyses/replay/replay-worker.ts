// A replay pool worker: builds the proposal's (and baseline's) classifier once from their plans
// and the shared engine module, then for each job — a chunk of whole lines of a conntrack or
// JSON-lines file, with its first line number — reads its flows, classifies them in batches and
// sends back the counts (parallel.ts merges them in file order).

import { Classifier } from '../../engine/classifier.js';
import { serve } from '../../engine/pool.js';
import { FlowBatch } from '../../frontends/flows/batch.js';
import { ConntrackLine } from '../../frontends/flows/conntrack.js';
import { LineCursor, blockFlows } from '../../frontends/flows/lines.js';
import { JsonLine } from '../../frontends/flows/records.js';
import { Replay, type ReplaySnapshot } from './replay.js';
import type { ReplayInit, ReplayJob } from './parallel.js';

serve<ReplayInit, ReplayJob, ReplaySnapshot>((module, init) => {
  const proposal = new Classifier(init.proposal.plan, init.proposal.env, init.capacity, module);
  const baseline = init.baseline && new Classifier(init.baseline.plan, init.baseline.env, init.capacity, module);
  const parser = init.format === 'conntrack' ? new ConntrackLine(init.file) : new JsonLine(init.file);
  const batch = new FlowBatch(init.file, 'line');
  const cursor = new LineCursor(init.file);
  return {
    run(job) {
      const replay = new Replay(proposal, baseline, init.defaults);
      batch.n = 0;
      for (const full of blockFlows({ buf: Buffer.from(job.bytes), first: job.first }, parser, batch, cursor)) replay.add(full);
      if (batch.n) replay.add(batch);
      return replay.snapshot();
    },
    transfer: (s) => [...s.tally, ...(s.baselineTally ?? [])].map((a) => a.buffer as ArrayBuffer),
  };
});
