// The analysis worker thread: runs decide() for the webhook's main thread, which keeps answering
// (and can give up on an analysis over its budget by ending this thread).
import { parentPort } from 'node:worker_threads';
import { NftlensError } from '../../model/diagnostics.js';
import { decide, type AdmissionInput } from './decide.js';
import type { WebhookPolicy } from './policy.js';

parentPort!.on('message', (m: { id: number; input: AdmissionInput; policy: WebhookPolicy }) => {
  try {
    parentPort!.postMessage({ id: m.id, verdict: decide(m.input, m.policy) });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: e instanceof NftlensError ? e.message : `nftlens failed: ${(e as Error).message}`, limit: e instanceof NftlensError });
  }
});
