// deploy/crds/status-conditions.patch.yaml with the real kubectl against the fake API server, as
// on a cluster where Liqo installed its own CRD: with Liqo's CRD alone, the status fields nftlens
// adds (reason, message, observedGeneration) are pruned and Liqo's shape stays; after
// `kubectl patch crd --type=json --patch-file` with the shipped patch, they are kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, noKubectl } from '../support/kubectl.js';
import { startKubeFake, type KubeFake } from '../support/kube-fake/index.js';

type Obj = Record<string, any>;

const CRD = 'deploy/crds/networking.liqo.io_firewallconfigurations.yaml';
const PATCH = 'deploy/crds/status-conditions.patch.yaml';
const FC = `apiVersion: networking.liqo.io/v1beta1
kind: FirewallConfiguration
metadata: { name: web, namespace: tenant }
spec:
  table:
    name: web
    family: IPV4
    chains:
      - { name: gate, type: filter, hook: forward, priority: 0, policy: accept, rules: { filterRules: [{ name: r, action: drop, match: [{ op: eq, ip: { position: dst, value: 10.42.1.1 } }] }] } }
`;
const NS = 'apiVersion: v1\nkind: Namespace\nmetadata: { name: tenant }\n';
const CONDITION = { host: 'gw-a', type: 'Applied', status: 'True', lastTransitionTime: '2026-12-03T06:00:00Z', reason: 'Applied', message: 'applied and verified', observedGeneration: 1 };

describe.skipIf(noKubectl)('the status conditions CRD patch (kubectl, API server fake)', () => {
  let api: KubeFake;
  let config: string;
  const k = (args: string[], input?: string) => kubectl(config, args, input);
  const writeStatus = async () => {
    const r = await k(['patch', 'firewallconfigurations.networking.liqo.io', 'web', '-n', 'tenant', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { conditions: [CONDITION] } })]);
    expect(r.code, r.stderr).toBe(0);
    const got = await k(['get', 'firewallconfigurations.networking.liqo.io', 'web', '-n', 'tenant', '-o', 'json']);
    expect(got.code, got.stderr).toBe(0);
    return (JSON.parse(got.stdout) as Obj).status.conditions as Obj[];
  };

  beforeAll(async () => {
    api = await startKubeFake();
    config = api.writeKubeconfig();
    for (const [args, input] of [[['apply', '-f', CRD]], [['apply', '-f', '-'], NS], [['apply', '-f', '-'], FC]] as [string[], string?][]) {
      const r = await k(args, input);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
  });
  afterAll(async () => {
    await api?.close();
  });

  it("with Liqo's CRD alone: the added fields are pruned, Liqo's shape stays", async () => {
    const { reason: _r, message: _m, observedGeneration: _g, ...liqo } = CONDITION;
    expect(await writeStatus()).toEqual([liqo]);
  });

  it('patched with the shipped file: the fields are kept', async () => {
    const r = await k(['patch', 'crd', 'firewallconfigurations.networking.liqo.io', '--type=json', '--patch-file', PATCH]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('customresourcedefinition.apiextensions.k8s.io/firewallconfigurations.networking.liqo.io patched');
    expect(await writeStatus()).toEqual([CONDITION]);
    // The patch applies once: a second time, its `add`s replace the same fields with the same values.
    const again = await k(['patch', 'crd', 'firewallconfigurations.networking.liqo.io', '--type=json', '--patch-file', PATCH]);
    expect(again.code, again.stderr).toBe(0);
  });
});
