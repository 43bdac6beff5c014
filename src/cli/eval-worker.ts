// A worker of the streamed eval's pool (eval-stream.ts): builds the classifier once from the
// posted engine module, plan and host, then turns each chunk of the packets file (whole lines, as
// bytes) into its results' bytes, exactly as the main thread would (engine/stream/batch.ts).

import { Classifier } from '../engine/classifier.js';
import type { Environment } from '../engine/environment.js';
import type { PathHook, Plan } from '../engine/plan.js';
import { serve } from '../engine/pool.js';
import { ByteOut } from '../engine/stream/byte-out.js';
import { LineBatch, type ChunkResult } from '../engine/stream/batch.js';

export interface EvalInit {
  plan: Plan;
  env: Environment;
  capacity: number;
  json: boolean;
  hook?: PathHook;
  file: string;
}

/** A chunk: bytes offset…offset+length of `bytes`; and an output buffer written and given back, to reuse. */
export interface EvalJob {
  bytes: ArrayBuffer;
  offset: number;
  length: number;
  spare?: ArrayBuffer;
}

/** The chunk's results: the first `length` bytes of `out`; and the chunk's memory, handed back. */
export interface EvalReply extends ChunkResult {
  out: ArrayBuffer;
  length: number;
  input: ArrayBuffer;
}

serve<EvalInit, EvalJob, EvalReply>((module, init) => {
  const classifier = new Classifier(init.plan, init.env, init.capacity, module);
  const batch = new LineBatch(classifier, init.json, init.hook);
  const out = new ByteOut();
  return {
    run(job) {
      if (job.spare) out.recycle(Buffer.from(job.spare));
      const r = batch.chunk(Buffer.from(job.bytes, job.offset, job.length), init.file, out);
      const bytes = out.take();
      // ByteOut's buffers are never slices of Node's shared pool: the whole ArrayBuffer goes.
      return { ...r, out: bytes.buffer as ArrayBuffer, length: bytes.length, input: job.bytes };
    },
    transfer: (r) => [r.out, r.input],
  };
});
