// Helpers of the agent's end-to-end tests: the API server fake with Liqo's CRDs, a client, an agent
// on a throwaway namespace, FirewallConfigurations to create, and waiting for a condition.
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { createLogger } from '../../../src/backends/gateway/telemetry.js';
import { Agent, type AgentOptions } from '../../../src/services/agent/agent.js';
import { gatewaySelectors } from '../../../src/services/agent/labels.js';
import { KubeClient, type FcObject } from '../../../src/services/kube/client.js';
import { startKubeFake, type KubeFake, type Obj } from '../../support/kube-fake/index.js';
import { configurationCrd, firewallConfigurationCrd, foreignClusterCrd } from '../../support/kube-fake/liqo-crds.js';
import { fc } from '../../backends/gateway/support.js';

export const OWNER = 'nftlens-agent';
export const HOST = 'gw-test';
export const REMOTE = 'venice';

const ns = (name: string): Obj => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }) as Obj;

export async function fakeCluster(opts: { extendedStatus?: boolean; namespaces?: string[] } = {}): Promise<{ api: KubeFake; config: KubeConfig; kube: KubeClient }> {
  const api = await startKubeFake({ bookmarkIntervalMs: 200 });
  await api.seed(firewallConfigurationCrd(opts.extendedStatus ?? true), foreignClusterCrd(), configurationCrd(), ...(opts.namespaces ?? ['tenant', 'liqo']).map(ns));
  const config = new KubeConfig();
  config.loadFromString(api.kubeconfig());
  return { api, config, kube: new KubeClient(config) };
}

/** Log lines of an agent, kept for assertions. */
export class Lines extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    for (const l of chunk.toString().split('\n')) if (l.trim()) this.lines.push(JSON.parse(l) as Record<string, unknown>);
    cb();
  }
}

export function makeAgent(c: { config: KubeConfig; kube: KubeClient }, netns: string, over: Partial<AgentOptions> = {}): { agent: Agent; logs: Lines } {
  const logs = new Lines();
  const agent = new Agent({
    config: c.config, kube: c.kube, netns, owner: OWNER, host: HOST, selectors: gatewaySelectors(REMOTE),
    resyncMs: 60_000, log: createLogger(logs, 'debug'), backoff: { baseMs: 50, maxMs: 1000, jitter: 0.5 },
    listen: { host: '127.0.0.1', port: 0 }, workers: 4, ...over,
  });
  return { agent, logs };
}

/** A FirewallConfiguration selected by the gateway of REMOTE (unique label), namespace `tenant`. */
export function fcObject(name: string, table: string, rules: { name: string; action: string; dst: string }[], labels?: Record<string, string>): FcObject {
  const o = parse(fc(table, rules, { name })) as FcObject;
  o.metadata.labels = labels ?? { 'networking.liqo.io/firewall-category': 'gateway', 'networking.liqo.io/firewall-unique': REMOTE };
  return o;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 90_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** This host's status entry of a resource, once it has one with the given generation. */
export async function hostEntry(kube: KubeClient, name: string, generation?: number, namespace = 'tenant'): Promise<Record<string, unknown>> {
  return waitFor(`status of ${namespace}/${name}${generation ? ` at generation ${generation}` : ''}`, async () => {
    const o = await kube.getFirewallConfiguration(namespace, name);
    const e = o.status?.conditions?.find((c) => c.host === HOST);
    return e && (generation === undefined || e.observedGeneration === generation) ? e : undefined;
  });
}

/**
 * Creates recorded peering objects (ForeignClusters, Configurations, Pods) in the fake, their
 * namespaces first, then writes their status through the status subresource (a create drops it,
 * as a real API server does).
 */
export async function seedPeering(api: KubeFake, kube: KubeClient, objects: readonly Obj[]): Promise<void> {
  const have = new Set(api.objects('', 'namespaces').map((o) => o.metadata?.name));
  for (const o of objects) {
    const n = o.metadata?.namespace;
    if (n && !have.has(n)) {
      await api.seed(ns(n));
      have.add(n);
    }
  }
  for (const o of objects) {
    const body = structuredClone(o);
    if (o.kind === 'Pod') body.spec = { containers: [{ name: 'c', image: 'registry.example/app:1' }] };
    const [stored] = await api.seed(body);
    if (!o.status) continue;
    const name = stored!.metadata!.name!;
    const namespace = stored!.metadata!.namespace;
    const next = { ...stored, status: o.status };
    if (o.kind === 'Pod') await kube.core.replaceNamespacedPodStatus({ name, namespace: namespace!, body: next as never });
    else {
      const [group, version] = String(o.apiVersion).split('/') as [string, string];
      const plural = o.kind === 'ForeignCluster' ? 'foreignclusters' : 'configurations';
      if (namespace) await kube.custom.replaceNamespacedCustomObjectStatus({ group, version, plural, namespace, name, body: next });
      else await kube.custom.replaceClusterCustomObjectStatus({ group, version, plural, name, body: next });
    }
  }
}

export async function deleteObject(kube: KubeClient, o: Obj): Promise<void> {
  const [group, version] = String(o.apiVersion).split('/') as [string, string];
  const name = o.metadata!.name!;
  if (o.kind === 'ForeignCluster') await kube.custom.deleteClusterCustomObject({ group, version, plural: 'foreignclusters', name });
  else if (o.kind === 'Configuration') await kube.custom.deleteNamespacedCustomObject({ group, version, plural: 'configurations', namespace: o.metadata!.namespace!, name });
  else if (o.kind === 'Pod') await kube.core.deleteNamespacedPod({ name, namespace: o.metadata!.namespace! });
}
