// The analysis worker thread: runs decide() for the webhook's main thread, which keeps answering
// (and can give up on an analysis over its budget by ending this thread).
import { parentPort } from 'node:worker_threads';
import { NftlensError } from '../../model/diagnostics.js';
import { decide, ResourceCache, type AdmissionInput } from './decide.js';
import type { WebhookPolicy } from './policy.js';

// The cluster's resources as parsed, kept across this thread's admissions.
const cache = new ResourceCache();

parentPort!.on('message', (m: { id: number; input: AdmissionInput; policy: WebhookPolicy }) => {
  try {
    parentPort!.postMessage({ id: m.id, verdict: decide(m.input, m.policy, { cache }) });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: e instanceof NftlensError ? e.message : `nftlens failed: ${(e as Error).message}`, limit: e instanceof NftlensError });
  }
});
