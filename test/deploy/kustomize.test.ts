// The deployment as the real `kubectl kustomize deploy/` renders it: the objects and kinds, RBAC
// minimal per component (exact verbs, no wildcards, each workload's ServiceAccount bound), webhook
// configurations whose service, port and paths reach the webhook server as it serves, the
// certificate's names and CA injection, the agent's NET_ADMIN and the webhook's non-root user, the
// vendored CRD with its status patch, and the image definition.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { WEBHOOK_PATHS } from '../../src/services/webhook/server.js';
import { kubectl, noKubectl } from '../support/kubectl.js';
import { firewallConfigurationCrd } from '../support/kube-fake/liqo-crds.js';

type Obj = Record<string, any>;

describe.skipIf(noKubectl)('deploy/ rendered by kubectl kustomize', () => {
  let objects: Obj[];
  const one = (kind: string, name?: string) => {
    const found = objects.filter((o) => o.kind === kind && (!name || o.metadata.name === name));
    expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
    return found[0]!;
  };

  beforeAll(async () => {
    const r = await kubectl('/dev/null', ['kustomize', 'deploy/']);
    expect(r.code, r.stderr).toBe(0);
    objects = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
  });

  it('renders the expected objects, namespaced ones in nftlens-system', () => {
    const kinds = objects.map((o) => o.kind).sort();
    expect(kinds).toEqual(
      ['Certificate', 'Certificate', 'ClusterRole', 'ClusterRole', 'ClusterRoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'CustomResourceDefinition', 'DaemonSet', 'Deployment', 'Issuer', 'Issuer', 'MutatingWebhookConfiguration', 'Namespace', 'Service', 'ServiceAccount', 'ServiceAccount', 'ValidatingWebhookConfiguration'].sort(),
    );
    const clusterScoped = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
    for (const o of objects) expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe(clusterScoped.has(o.kind) ? undefined : 'nftlens-system');
  });

  it('vendors Liqo\'s CRD, changed only by the status patch: reason, message and observedGeneration declared', () => {
    const vendored = parse(readFileSync('deploy/crds/networking.liqo.io_firewallconfigurations.yaml', 'utf8'));
    const rendered = one('CustomResourceDefinition');
    expect(rendered.spec).toEqual(firewallConfigurationCrd(true).spec);
    expect(rendered.spec).not.toEqual(vendored.spec);
    const props = (spec: Obj) => spec.versions[0].schema.openAPIV3Schema.properties.status.properties.conditions.items.properties;
    expect(Object.keys(props(vendored.spec)).sort()).toEqual(['host', 'lastTransitionTime', 'status', 'type']);
    expect(Object.keys(props(rendered.spec)).sort()).toEqual(['host', 'lastTransitionTime', 'message', 'observedGeneration', 'reason', 'status', 'type']);
    expect(props(rendered.spec).observedGeneration).toMatchObject({ type: 'integer', format: 'int64' });
    // Apart from the three fields, the spec is Liqo's.
    const stripped = structuredClone(rendered.spec);
    for (const k of ['reason', 'message', 'observedGeneration']) delete props(stripped)[k];
    expect(stripped).toEqual(vendored.spec);
    expect(rendered.spec.versions[0].subresources).toEqual({ status: {} });
  });

  it('grants each component exactly what it uses: no wildcard, no extra verb or resource', () => {
    const rules = (name: string) => one('ClusterRole', name).rules.map((r: Obj) => ({ groups: r.apiGroups, resources: r.resources, verbs: [...r.verbs].sort() }));
    expect(rules('nftlens-agent')).toEqual([
      { groups: ['networking.liqo.io'], resources: ['firewallconfigurations'], verbs: ['get', 'list', 'patch', 'update', 'watch'] },
      { groups: ['networking.liqo.io'], resources: ['firewallconfigurations/status'], verbs: ['get', 'patch', 'update'] },
      { groups: [''], resources: ['events'], verbs: ['create'] },
    ]);
    expect(rules('nftlens-webhook')).toEqual([{ groups: ['networking.liqo.io'], resources: ['firewallconfigurations'], verbs: ['list'] }]);
    for (const role of objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')) {
      expect(JSON.stringify(role.rules)).not.toContain('"*"');
    }
    for (const [kind, name] of [['DaemonSet', 'nftlens-agent'], ['Deployment', 'nftlens-webhook']] as const) {
      const sa = one(kind, name).spec.template.spec.serviceAccountName;
      const binding = objects.find((o) => o.kind === 'ClusterRoleBinding' && o.subjects.some((s: Obj) => s.kind === 'ServiceAccount' && s.name === sa && s.namespace === 'nftlens-system'));
      expect(binding?.roleRef.name, `${kind} ${name}`).toBe(name);
      one('ServiceAccount', sa);
    }
  });

  it('points the webhook configurations at the webhook server\'s service, port and paths', () => {
    const svc = one('Service', 'nftlens-webhook');
    const deploy = one('Deployment', 'nftlens-webhook');
    const container = deploy.spec.template.spec.containers[0];
    const args: string[] = container.args;
    expect(args[0]).toBe('webhook');
    const listenPort = Number(/^--listen=.*:(\d+)$/.exec(args.find((a) => a.startsWith('--listen='))!)![1]);
    const port = svc.spec.ports.find((p: Obj) => p.port === 443);
    expect(container.ports.find((p: Obj) => p.name === port.targetPort)?.containerPort).toBe(listenPort);
    expect(svc.spec.selector).toEqual(deploy.spec.selector.matchLabels);
    const paths = { MutatingWebhookConfiguration: WEBHOOK_PATHS.mutate, ValidatingWebhookConfiguration: WEBHOOK_PATHS.validate };
    for (const [kind, path] of Object.entries(paths)) {
      const conf = one(kind);
      expect(conf.metadata.annotations['cert-manager.io/inject-ca-from']).toBe('nftlens-system/nftlens-webhook');
      for (const hook of conf.webhooks) {
        expect(hook.clientConfig.service).toEqual({ name: svc.metadata.name, namespace: 'nftlens-system', path, port: 443 });
        expect(hook.failurePolicy).toBe('Fail');
        expect(hook.admissionReviewVersions).toEqual(['v1']);
        expect(hook.rules).toEqual([{ apiGroups: ['networking.liqo.io'], apiVersions: ['v1beta1'], resources: ['firewallconfigurations'], operations: ['CREATE', 'UPDATE'], scope: 'Namespaced' }]);
      }
    }
    const cert = one('Certificate', 'nftlens-webhook');
    expect(cert.spec.dnsNames).toContain('nftlens-webhook.nftlens-system.svc');
    const tls = deploy.spec.template.spec.volumes.find((v: Obj) => v.secret)?.secret.secretName;
    expect(tls).toBe(cert.spec.secretName);
    expect(args).toContain('--cert=/tls/tls.crt');
    expect(args.find((a) => a.startsWith('--health='))).toMatch(/^--health=127\.0\.0\.1:/);
  });

  it('gives the agent NET_ADMIN on the host network and keeps the webhook non-root', () => {
    const agent = one('DaemonSet', 'nftlens-agent').spec.template.spec;
    expect(agent.hostNetwork).toBe(true);
    expect(agent.containers[0].securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['NET_ADMIN'] });
    const hook = one('Deployment', 'nftlens-webhook').spec.template.spec;
    expect(hook.securityContext.runAsNonRoot).toBe(true);
    expect(hook.containers[0].securityContext.capabilities).toEqual({ drop: ['ALL'] });
    for (const w of [agent, hook]) expect(w.containers[0].image).toBe('ghcr.io/nftlens/nftlens:0.1.0');
  });

  it('builds the image from node:20-slim with nftables, running as a non-root user', () => {
    const text = readFileSync('Containerfile', 'utf8');
    expect(text).toMatch(/^FROM node:20-slim$/m);
    expect(text).toMatch(/apt-get install .*nftables/);
    expect(text).toMatch(/^USER 10001:10001$/m);
    expect(text).toMatch(/^ENTRYPOINT \["node", "\/opt\/nftlens\/bin\/nftlens\.js"\]$/m);
  });
});
