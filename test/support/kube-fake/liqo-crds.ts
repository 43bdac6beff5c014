// CRDs the agent and generation tests serve from the fake, besides Liqo's vendored
// FirewallConfiguration CRD: that CRD with its status conditions extended by reason, message and
// observedGeneration (what nftlens writes; Liqo's own CRD prunes them), and minimal ForeignCluster
// (core.liqo.io, cluster-scoped) and Configuration (networking.liqo.io) CRDs with open schemas and
// a status subresource — enough for the fields policy generation reads.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { Obj } from './index.js';

const repo = new URL('../../../', import.meta.url).pathname;

export function firewallConfigurationCrd(extendedStatus = true): Obj {
  const text = readFileSync(`${repo}deploy/crds/networking.liqo.io_firewallconfigurations.yaml`, 'utf8');
  const crd = parseAllDocuments(text).map((d) => d.toJS() as Obj).find((o) => o && o.kind === 'CustomResourceDefinition')!;
  if (extendedStatus) {
    const versions = (crd.spec as { versions: { schema: { openAPIV3Schema: Record<string, any> } }[] }).versions;
    for (const v of versions) {
      const cond = v.schema.openAPIV3Schema.properties.status.properties.conditions.items.properties;
      cond.reason = { type: 'string' };
      cond.message = { type: 'string' };
      cond.observedGeneration = { type: 'integer', format: 'int64' };
    }
  }
  return crd;
}

function openCrd(group: string, kind: string, plural: string, scope: 'Namespaced' | 'Cluster'): Obj {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group, scope,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      versions: [{
        name: 'v1beta1', served: true, storage: true, subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      }],
    },
  } as Obj;
}

export const foreignClusterCrd = (): Obj => openCrd('core.liqo.io', 'ForeignCluster', 'foreignclusters', 'Cluster');
export const configurationCrd = (): Obj => openCrd('networking.liqo.io', 'Configuration', 'configurations', 'Namespaced');
