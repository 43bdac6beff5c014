// A worker thread of the what-if service: runs one analysis job (jobs.ts) sent by the runner
// (runner.ts) and posts back its JSON, or the diagnostics of an invalid input, or the message of
// an internal failure. The runner terminates it when the job runs past its time limit.

import { parentPort } from 'node:worker_threads';
import { NftlensError } from '../../model/diagnostics.js';
import { runJob, type Job } from './jobs.js';

parentPort!.once('message', (job: Job) => {
  runJob(job).then(
    (result) => parentPort!.postMessage({ ok: true, result }),
    (e: unknown) => parentPort!.postMessage(e instanceof NftlensError
      ? { ok: false, diagnostics: e.diagnostics }
      : { ok: false, internal: e instanceof Error ? e.stack ?? e.message : String(e) }),
  );
});
