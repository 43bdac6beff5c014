// A Kubernetes API failure, for the CLI: one located line (AGENT_KUBE), exit 3 — the server, the
// network or the credentials failed, not the user's input.

import { NftlensError } from '../model/diagnostics.js';
import { KubeError } from '../services/kube/client.js';

export async function clusterCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof KubeError) throw NftlensError.of('AGENT_KUBE', e.message, { file: 'kubernetes API' });
    throw e;
  }
}
