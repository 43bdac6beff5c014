// CRDs the agent and generation tests serve from the fake, besides Liqo's vendored
// FirewallConfiguration CRD: that CRD with its status conditions extended by reason, message and
// observedGeneration (what nftlens writes; Liqo's own CRD prunes them) by the patch deploy/ ships
// (deploy/crds/status-conditions.patch.yaml, applied as kustomize applies it), and minimal ForeignCluster
// (core.liqo.io, cluster-scoped) and Configuration (networking.liqo.io) CRDs with open schemas and
// a status subresource — enough for the fields policy generation reads.
import { readFileSync } from 'node:fs';
import jsonpatch, { type Operation } from 'fast-json-patch';
import { parse, parseAllDocuments } from 'yaml';
import type { Obj } from './index.js';

const repo = new URL('../../../', import.meta.url).pathname;

export function firewallConfigurationCrd(extendedStatus = true): Obj {
  const text = readFileSync(`${repo}deploy/crds/networking.liqo.io_firewallconfigurations.yaml`, 'utf8');
  const crd = parseAllDocuments(text).map((d) => d.toJS() as Obj).find((o) => o && o.kind === 'CustomResourceDefinition')!;
  return extendedStatus ? jsonpatch.applyPatch(crd, statusPatch(), true, false).newDocument : crd;
}

/** deploy/'s JSON patch of the CRD declaring nftlens' status condition fields. */
export function statusPatch(): Operation[] {
  return parse(readFileSync(`${repo}deploy/crds/status-conditions.patch.yaml`, 'utf8')) as Operation[];
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
