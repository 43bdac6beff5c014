// Keeping the provider-protection resource current in a cluster: read the peering objects, generate
// and prove the policy (index.ts), and write it only when its meaning changed (samePolicy): create it
// when absent, else replace it with the resourceVersion read (a 409 — someone wrote meanwhile — is
// retried on a fresh read). Used by `generate --from-cluster --write` and `agent --generate`.

import { KubeError, type FcObject, type KubeClient } from '../kube/client.js';
import { generateProtection, samePolicy, type Generated } from './index.js';
import type { PolicyOptions } from './policy.js';

export interface WriteOutcome {
  generated: Generated;
  action: 'created' | 'replaced' | 'unchanged';
}

export async function generateInCluster(kube: KubeClient, opts: PolicyOptions = {}, tries = 5): Promise<WriteOutcome> {
  const generated = generateProtection(await kube.peeringObjects(), 'cluster', opts);
  const want = generated.resource as unknown as FcObject;
  const { namespace = 'default', name } = want.metadata;
  for (let i = 0; ; i++) {
    let have: FcObject | undefined;
    try {
      have = await kube.getFirewallConfiguration(namespace, name);
    } catch (e) {
      if (!(e instanceof KubeError) || e.status !== 404) throw e;
    }
    try {
      if (!have) {
        await kube.createFirewallConfiguration(want);
        return { generated, action: 'created' };
      }
      if (samePolicy(have, want)) return { generated, action: 'unchanged' };
      await kube.replaceFirewallConfiguration({ ...have, metadata: { ...have.metadata, labels: want.metadata.labels }, spec: want.spec });
      return { generated, action: 'replaced' };
    } catch (e) {
      if (!(e instanceof KubeError) || (e.status !== 409 && e.status !== 404) || i + 1 >= tries) throw e;
    }
  }
}
