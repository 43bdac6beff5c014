// Server-side apply in the fake, proven with the real kubectl (`kubectl apply --server-side`):
// create by apply, managedFields per manager, a field another manager applied is a 409 Conflict
// naming it and the manager (kubectl's message), --force-conflicts takes it over, and a field the
// manager no longer applies is removed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, noKubectl } from '../kubectl.js';
import { startKubeFake, type KubeFake } from './index.js';

type Obj = Record<string, any>;

const CRD = 'deploy/crds/networking.liqo.io_firewallconfigurations.yaml';
const NS = 'apiVersion: v1\nkind: Namespace\nmetadata: { name: tenant }\n';
const fc = (priority: number, labels: Record<string, string>) => `apiVersion: networking.liqo.io/v1beta1
kind: FirewallConfiguration
metadata:
  name: web
  namespace: tenant
  labels: ${JSON.stringify(labels)}
spec:
  table:
    name: web
    family: IPV4
    chains:
      - { name: gate, type: filter, hook: forward, priority: ${priority}, policy: accept, rules: { filterRules: [{ name: r, action: drop, match: [{ op: eq, ip: { position: dst, value: 10.42.1.1 } }] }] } }
`;

describe.skipIf(noKubectl)('server-side apply (kubectl apply --server-side, API server fake)', () => {
  let api: KubeFake;
  let config: string;
  const k = (args: string[], input?: string) => kubectl(config, args, input);
  const live = async () => JSON.parse((await k(['get', 'firewallconfigurations.networking.liqo.io', 'web', '-n', 'tenant', '-o', 'json', '--show-managed-fields'])).stdout) as Obj;
  const managers = (o: Obj) => (o.metadata.managedFields as Obj[]).map((e) => `${e.manager}/${e.operation}`).sort();

  beforeAll(async () => {
    api = await startKubeFake();
    config = api.writeKubeconfig();
    for (const [args, input] of [[['apply', '-f', CRD]], [['apply', '-f', '-'], NS]] as [string[], string?][]) {
      const r = await k(args, input);
      expect(r.code, r.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await api?.close();
  });

  it('creates by apply and records the manager\'s fields', async () => {
    const r = await k(['apply', '--server-side', '-f', '-'], fc(0, { team: 'a' }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('firewallconfiguration.networking.liqo.io/web serverside-applied');
    const o = await live();
    expect(o.metadata.generation).toBe(1);
    expect(managers(o)).toEqual(['kubectl/Apply']);
    const f = o.metadata.managedFields[0].fieldsV1;
    expect(f['f:metadata']['f:labels']).toEqual({ 'f:team': {} });
    expect(f['f:spec']['f:table']['f:chains']).toEqual({});
    // The same apply again: nothing changes.
    const again = await k(['apply', '--server-side', '-f', '-'], fc(0, { team: 'a' }));
    expect(again.code, again.stderr).toBe(0);
    expect((await live()).metadata.resourceVersion).toBe(o.metadata.resourceVersion);
  });

  it('a field another manager applied is a 409 naming it; --force-conflicts takes it over', async () => {
    const r = await k(['apply', '--server-side', '--field-manager=other', '-f', '-'], fc(5, { team: 'a', env: 'x' }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl" using networking.liqo.io/v1beta1: .spec.table.chains');
    expect((await live()).spec.table.chains[0].priority).toBe(0);
    // The same values: no conflict, both own them.
    const same = await k(['apply', '--server-side', '--field-manager=other', '-f', '-'], fc(0, { team: 'a', env: 'x' }));
    expect(same.code, same.stderr).toBe(0);
    expect(managers(await live())).toEqual(['kubectl/Apply', 'other/Apply']);
    const forced = await k(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', '-'], fc(5, { team: 'a', env: 'x' }));
    expect(forced.code, forced.stderr).toBe(0);
    const o = await live();
    expect(o.spec.table.chains[0].priority).toBe(5);
    expect(o.metadata.generation).toBe(2);
    const kubectlFields = o.metadata.managedFields.find((e: Obj) => e.manager === 'kubectl').fieldsV1;
    expect(kubectlFields['f:spec']['f:table']['f:chains']).toBeUndefined();
  });

  it('a label the manager no longer applies is removed, unless another manager owns it', async () => {
    const r = await k(['apply', '--server-side', '--field-manager=other', '-f', '-'], fc(5, { team: 'a' }));
    expect(r.code, r.stderr).toBe(0);
    expect((await live()).metadata.labels).toEqual({ team: 'a' }); // env: only other's, dropped; team: kubectl's too
    const r2 = await k(['apply', '--server-side', '--field-manager=other', '-f', '-'], fc(5, {}));
    expect(r2.code, r2.stderr).toBe(0);
    expect((await live()).metadata.labels).toEqual({ team: 'a' }); // still kubectl's
  });
});
