// The Kubernetes API as nftlens uses it, over @kubernetes/client-node: FirewallConfigurations
// (list, get, create, replace, replace status — optimistic concurrency through resourceVersion:
// a stale write is a 409 the caller retries), and the peering objects policy generation reads
// (ForeignClusters, Configurations, offloaded Pods). Connection from a kubeconfig file, or the
// default chain (KUBECONFIG, ~/.kube/config, in-cluster service account). Failures come back as
// KubeError with the HTTP status (0 when the server could not be reached).

import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { NftlensError } from '../../model/diagnostics.js';

export const FC = { group: 'networking.liqo.io', version: 'v1beta1', plural: 'firewallconfigurations' } as const;
const LIQO_CONFIGURATION = { group: 'networking.liqo.io', version: 'v1beta1', plural: 'configurations' } as const;
const FOREIGN_CLUSTER = { group: 'core.liqo.io', version: 'v1beta1', plural: 'foreignclusters' } as const;

/** A FirewallConfiguration as the API server holds it (the parts the agent reads and writes). */
export interface FcObject extends KubernetesObject {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    finalizers?: string[];
    generation?: number;
    resourceVersion?: string;
    /** Set once deletion was asked (a string in the JSON the API server sends; only its presence is read). */
    deletionTimestamp?: Date;
    uid?: string;
  };
  spec?: unknown;
  status?: { conditions?: Record<string, unknown>[] } & Record<string, unknown>;
}

export class KubeError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The HTTP status of a client-node failure, and its message (the API server's Status message when it sent one). */
export function kubeError(e: unknown, what: string): KubeError {
  if (e instanceof KubeError) return e;
  if (e instanceof ApiException) {
    const body = (typeof e.body === 'string' ? safeJson(e.body) : e.body) as { message?: string } | undefined;
    return new KubeError(e.code, `${what}: HTTP ${e.code}${body?.message ? `: ${body.message}` : ''}`);
  }
  return new KubeError(0, `${what}: ${(e as Error).message ?? String(e)}`);
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** Loads the kubeconfig: the file given, else client-node's default chain. A bad file is exit 2. */
export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (file !== undefined) kc.loadFromFile(file);
    else kc.loadFromDefault();
  } catch (e) {
    throw NftlensError.of('INPUT_READ', `kubeconfig: ${(e as Error).message}`, { file: file ?? 'kubeconfig' });
  }
  if (!kc.getCurrentCluster()) throw NftlensError.of('INPUT_KIND', 'the kubeconfig names no current cluster', { file: file ?? 'kubeconfig' });
  return kc;
}

export class KubeClient {
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;

  constructor(readonly config: KubeConfig) {
    this.custom = config.makeApiClient(CustomObjectsApi);
    this.core = config.makeApiClient(CoreV1Api);
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw kubeError(e, what);
    }
  }

  listFirewallConfigurations(labelSelector?: string): Promise<KubernetesListObject<FcObject>> {
    return this.call('list firewallconfigurations', () => this.custom.listCustomObjectForAllNamespaces({ ...FC, labelSelector }) as Promise<KubernetesListObject<FcObject>>);
  }

  getFirewallConfiguration(namespace: string, name: string): Promise<FcObject> {
    return this.call(`get firewallconfiguration ${namespace}/${name}`, () => this.custom.getNamespacedCustomObject({ ...FC, namespace, name }) as Promise<FcObject>);
  }

  createFirewallConfiguration(body: FcObject): Promise<FcObject> {
    const namespace = body.metadata.namespace ?? 'default';
    return this.call(`create firewallconfiguration ${namespace}/${body.metadata.name}`, () => this.custom.createNamespacedCustomObject({ ...FC, namespace, body }) as Promise<FcObject>);
  }

  /** PUT: fails with 409 when body.metadata.resourceVersion is not the stored one. */
  replaceFirewallConfiguration(body: FcObject): Promise<FcObject> {
    const namespace = body.metadata.namespace ?? 'default';
    const name = body.metadata.name;
    return this.call(`update firewallconfiguration ${namespace}/${name}`, () => this.custom.replaceNamespacedCustomObject({ ...FC, namespace, name, body }) as Promise<FcObject>);
  }

  /** POST a core/v1 Event into its namespace. */
  createEvent(body: Record<string, any>): Promise<unknown> {
    const namespace = body.metadata.namespace as string;
    return this.call(`create event in ${namespace}`, () => this.core.createNamespacedEvent({ namespace, body: body as never }));
  }

  /** PUT to the status subresource (only status changes; 409 when stale). */
  replaceFirewallConfigurationStatus(body: FcObject): Promise<FcObject> {
    const namespace = body.metadata.namespace ?? 'default';
    const name = body.metadata.name;
    return this.call(`update firewallconfiguration ${namespace}/${name} status`, () => this.custom.replaceNamespacedCustomObjectStatus({ ...FC, namespace, name, body }) as Promise<FcObject>);
  }

  /** ForeignClusters, Configurations and offloaded Pods: what policy generation reads. */
  async peeringObjects(): Promise<KubernetesObject[]> {
    const items = (l: { items?: unknown[] }, apiVersion: string, kind: string) =>
      (l.items ?? []).map((o) => ({ apiVersion, kind, ...(o as object) }) as KubernetesObject);
    const [fcs, confs, pods] = await Promise.all([
      this.call('list foreignclusters', () => this.custom.listClusterCustomObject({ ...FOREIGN_CLUSTER }) as Promise<{ items?: unknown[] }>),
      this.call('list configurations', () => this.custom.listCustomObjectForAllNamespaces({ ...LIQO_CONFIGURATION }) as Promise<{ items?: unknown[] }>),
      this.call('list pods', () => this.core.listPodForAllNamespaces({ labelSelector: 'liqo.io/managed-by=shadowpod' }) as Promise<{ items?: unknown[] }>),
    ]);
    return [
      ...items(fcs, 'core.liqo.io/v1beta1', 'ForeignCluster'),
      ...items(confs, 'networking.liqo.io/v1beta1', 'Configuration'),
      ...items(pods, 'v1', 'Pod'),
    ];
  }
}
