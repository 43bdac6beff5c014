// Read-modify-write against the API server with optimistic concurrency: get the object, compute
// the change, write it with the resourceVersion read; a 409 (someone wrote in between) re-reads
// and tries again, up to a limit. Used for status (the /status subresource) and finalizers.

import { KubeError, type FcObject, type KubeClient } from '../kube/client.js';

export type UpdateOutcome = 'written' | 'unchanged' | 'gone';

/**
 * `change` returns the object to write, or undefined when nothing needs writing. 404 on get or
 * write: the object is gone.
 */
export async function updateWithRetry(
  get: () => Promise<FcObject>,
  change: (o: FcObject) => FcObject | undefined,
  put: (o: FcObject) => Promise<FcObject>,
  tries = 8,
): Promise<{ outcome: UpdateOutcome; object?: FcObject; conflicts: number }> {
  let conflicts = 0;
  for (;;) {
    let obj: FcObject;
    try {
      obj = await get();
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return { outcome: 'gone', conflicts };
      throw e;
    }
    const next = change(obj);
    if (!next) return { outcome: 'unchanged', object: obj, conflicts };
    try {
      return { outcome: 'written', object: await put(next), conflicts };
    } catch (e) {
      if (!(e instanceof KubeError)) throw e;
      if (e.status === 404) return { outcome: 'gone', conflicts };
      if (e.status !== 409 || ++conflicts >= tries) throw e;
    }
  }
}

export function getter(kube: KubeClient, namespace: string, name: string): () => Promise<FcObject> {
  return () => kube.getFirewallConfiguration(namespace, name);
}
