// Policy generation from recorded peering states (test/fixtures/peering): the consumers, remapped
// CIDRs and offloaded pods read from Liqo's resources; the generated policy checked semantically —
// the isolation analysis over the tenants the state declares, and packets through the reference
// engine (a consumer reaches its own pods and gets replies; not another's pods, not the provider's
// other pods; consumers never reach each other); refusals located (overlapping remapped CIDRs, no
// remapped CIDR yet, IPv6); unchanged state → the same resource (samePolicy); a removed consumer
// loses its rules.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffRulesets } from '../../../src/analyses/diff.js';
import { checkIsolation, parseTenants } from '../../../src/analyses/isolation.js';
import { parseFirewallConfigurations } from '../../../src/frontends/liqo/index.js';
import { ReferenceEngine } from '../../../src/engine/index.js';
import { parsePacket } from '../../../src/engine/packet.js';
import { NftlensError } from '../../../src/model/diagnostics.js';
import type { Ruleset } from '../../../src/model/ruleset.js';
import { addressRuns, generateProtection, objectsOfText, policyYaml, protectionPolicy, readPeeringState, samePolicy } from '../../../src/services/generate/index.js';
import { cli } from '../../support/cli.js';

const dir = new URL('../../fixtures/peering/', import.meta.url).pathname;
const load = (name: string) => objectsOfText(readFileSync(`${dir}${name}.yaml`, 'utf8'), `${name}.yaml`);
const gen = (name: string) => generateProtection(load(name), `${name}.yaml`);

function verdict(rs: Ruleset, packet: string): string {
  return new ReferenceEngine(rs).evaluate(parsePacket(packet)).verdict;
}

/** The filter rules of a generated resource (a plain object). */
const filterRules = (r: object) =>
  (r as { spec: { table: { chains: { rules: { filterRules: { name: string; match: Record<string, unknown>[] }[] } }[] } } }).spec.table.chains[0]!.rules.filterRules;

const IN = 'iif liqo-tunnel oif eth0';
const OUT = 'iif eth0 oif liqo-tunnel';

describe('policy generation', () => {
  it('reads consumers, remapped CIDRs (one or a list) and offloaded pods (both origin labels); ignores providers and pods without an address', () => {
    const s = readPeeringState(load('three-consumers'), 'three-consumers.yaml');
    expect(s.consumers.map((c) => [c.clusterId, c.cidrs.map((x) => x.text), c.pods])).toEqual([
      ['milan', ['10.114.0.0/16'], ['10.42.4.9']],
      ['naples', ['10.113.0.0/16'], ['10.42.1.40', '10.42.1.41', '10.42.1.42', '10.42.3.21']],
      ['venice', ['10.112.0.0/16'], ['10.42.1.15', '10.42.2.7']],
    ]);
    expect(s.notes.map((n) => n.message)).toEqual(['offloaded pod of cluster turin, which is not a consumer: ignored (its traffic is dropped)']);
    const one = readPeeringState(load('one-consumer'), 'one-consumer.yaml');
    expect(one.consumers[0]!.pods).toEqual(['10.42.1.15', '10.42.1.16', '10.42.2.7']);
    expect(one.notes[0]!.message).toContain('without an address yet');
    expect(addressRuns(['10.0.0.3', '10.0.0.1', '10.0.0.2', '10.0.0.9'])).toEqual(['10.0.0.1-10.0.0.3', '10.0.0.9']);
  });

  it('each fixture\'s policy is proved isolated, and behaves as intended packet by packet', () => {
    const g = gen('three-consumers');
    expect(g.proof.inbound.isolated && g.proof.outbound.isolated).toBe(true);
    // each consumer reaches (in the diagonal) its own pods
    expect(g.proof.inbound.tenants).toEqual(['milan', 'naples', 'venice', 'provider']);
    for (let i = 0; i < 3; i++) expect(g.proof.inbound.matrix[i]![i]).toBeGreaterThan(0);
    const rs = g.ruleset;
    expect(verdict(rs, `tcp 10.112.0.5:40000 -> 10.42.1.15:80 ${IN} ct new`)).toBe('accept');
    expect(verdict(rs, `tcp 10.42.1.15:80 -> 10.112.0.5:40000 ${OUT} ct established`)).toBe('accept');
    expect(verdict(rs, `icmp 10.42.1.15 -> 10.112.0.5 type 3 code 4 ${OUT} ct related`)).toBe('accept');
    // an offloaded pod opens no connection of its own back to its consumer's cluster
    expect(verdict(rs, `tcp 10.42.1.15:40000 -> 10.112.0.5:22 ${OUT} ct new`)).toBe('drop');
    expect(verdict(rs, `udp 10.42.1.15:40000 -> 10.112.0.5:53 ${OUT} ct new`)).toBe('drop');
    expect(verdict(rs, `tcp 10.42.1.15:80 -> 10.112.0.5:40000 ${OUT} ct invalid`)).toBe('drop');
    expect(verdict(rs, `tcp 10.112.0.5:40000 -> 10.42.1.40:80 ${IN} ct new`)).toBe('drop'); // naples' pod
    expect(verdict(rs, `tcp 10.112.0.5:40000 -> 10.42.3.3:443 ${IN} ct new`)).toBe('drop'); // the provider's own pod
    expect(verdict(rs, `tcp 10.113.0.5:40000 -> 10.42.1.42:80 ${IN} ct new`)).toBe('accept');
    expect(verdict(rs, `tcp 10.113.0.5:40000 -> 10.112.0.9:80 iif liqo-tunnel oif liqo-tunnel ct new`)).toBe('drop'); // consumer to consumer
    expect(verdict(rs, `tcp 10.42.1.15:80 -> 10.113.0.5:40000 ${OUT} ct established`)).toBe('drop'); // venice's pod to naples
    expect(verdict(rs, `tcp 10.42.5.5:80 -> 10.115.0.5:40000 ${OUT} ct new`)).toBe('drop'); // a provider peer's pod: not a consumer
    expect(verdict(rs, `tcp 10.42.3.3:80 -> 10.42.4.9:40000 iif eth0 oif eth1 ct new`)).toBe('accept'); // in-cluster traffic untouched
  });

  it('a removed consumer loses its rules; its pods are then unreachable from its old CIDR', () => {
    const before = gen('three-consumers');
    const after = gen('consumer-removed');
    expect(samePolicy(before.resource, after.resource)).toBe(false);
    expect(JSON.stringify(after.resource)).not.toContain('naples');
    expect(verdict(after.ruleset, `tcp 10.113.0.5:40000 -> 10.42.1.40:80 ${IN} ct new`)).toBe('drop');
    expect(verdict(after.ruleset, `tcp 10.112.0.5:40000 -> 10.42.1.15:80 ${IN} ct new`)).toBe('accept');
    // the removed consumer as a tenant: isolated from every pod
    const t = parseTenants(JSON.stringify({ tenants: { naples: { sources: ['10.113.0.0/16'], destinations: ['0.0.0.0/0'], interfaces: ['liqo-tunnel'] }, venice: { sources: ['10.112.0.0/16'], destinations: ['10.42.1.15'] } } }), 't');
    const r = checkIsolation(after.ruleset, t);
    expect(r.matrix[0]![0]).toBe(0);
  });

  it('the reply rule\'s ctstate: without it, exactly the pods\' own connections home (new, invalid, untracked) would pass', () => {
    const g = gen('one-consumer');
    const returns = filterRules(g.resource).filter((r) => r.name.startsWith('return-'));
    expect(returns.length).toBeGreaterThan(0);
    for (const r of returns) expect(r.match).toContainEqual({ op: 'eq', ctstate: { value: ['established', 'related'] } });
    const loose = structuredClone(g.resource);
    for (const r of filterRules(loose)) r.match = r.match.filter((m) => !m.ctstate);
    const before = parseFirewallConfigurations(JSON.stringify(loose), 'loose.json').ruleset;
    const d = diffRulesets(before, g.ruleset);
    expect(d.changes.map((c) => [c.before.verdict, c.after.verdict])).toEqual([['accept', 'drop']]);
    const w = d.changes[0]!.witness;
    expect(['new', 'invalid', 'untracked']).toContain(w.ctState);
    expect(w.oifname).toBe('liqo-tunnel');
    expect(verdict(g.ruleset, `tcp ${w.saddr}:1000 -> ${w.daddr}:22 ${OUT} ct established`)).toBe('accept');
    expect(verdict(g.ruleset, `tcp ${w.saddr}:1000 -> ${w.daddr}:22 ${OUT} ct new`)).toBe('drop');
  });

  it('the same state gives the same resource; a one-pod change does not', () => {
    const a = gen('one-consumer').resource;
    expect(samePolicy(a, gen('one-consumer').resource)).toBe(true);
    expect(samePolicy(a, { ...a, metadata: { ...(a.metadata as object), resourceVersion: '42', uid: 'x' }, status: { conditions: [] } })).toBe(true);
    const objs = load('one-consumer').filter((o) => o.metadata?.name !== 'web-2');
    expect(samePolicy(a, generateProtection(objs, 'x').resource)).toBe(false);
  });

  it('refuses what cannot be isolated or read, located', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (e instanceof NftlensError) return e.diagnostics[0]!;
        throw e;
      }
      throw new Error('no error');
    };
    const overlap = err(() => gen('overlapping-cidrs'));
    expect(overlap.code).toBe('PEERING_OVERLAP');
    expect(overlap.origin).toMatchObject({ file: 'overlapping-cidrs.yaml', field: 'status.remote.cidr.pod' });
    expect(overlap.message).toContain('10.112.128.0/17');
    const missing = err(() => gen('not-remapped'));
    expect(missing).toMatchObject({ code: 'PEERING_STATE', origin: { resource: 'Configuration liqo-tenant-venice/venice', field: 'status.remote.cidr.pod' } });
    const text = readFileSync(`${dir}one-consumer.yaml`, 'utf8');
    for (const [bad, why] of [['10.112.0.0/16', 'fd00::/64'], ['10.112.0.0/16', '10.112.0.1/16'], ['10.112.0.0/16', '"10.112.0.0/16; flush ruleset"']] as const) {
      const d = err(() => generateProtection(objectsOfText(text.replace(`pod: ${bad}`, `pod: ${why}`), 'f.yaml'), 'f.yaml'));
      expect(d.code).toBe('PEERING_STATE');
      expect(d.origin.field).toBe('status.remote.cidr.pod');
    }
    expect(err(() => objectsOfText('items: [', 'broken.yaml')).code).toBe('INPUT_PARSE');
  });

  it('hostile cluster IDs and pod addresses never reach a rule unchecked', () => {
    const text = readFileSync(`${dir}one-consumer.yaml`, 'utf8');
    const podBad = text.replace('podIP: 10.42.1.15\n      podIPs:\n        - ip: 10.42.1.15', 'podIP: "10.42.1.15 accept"');
    expect(() => generateProtection(objectsOfText(podBad, 'p.yaml'), 'p.yaml')).toThrow(/is not an IP address/);
    // a cluster ID names rules: one that is not a DNS-1123 label is refused at its field
    for (const id of ['ven"ice', 'venice; flush ruleset', 'a'.repeat(64), 'Venice']) {
      const idBad = text.replaceAll('clusterID: venice', `clusterID: ${JSON.stringify(id)}`);
      expect(() => generateProtection(objectsOfText(idBad, 'i.yaml'), 'i.yaml')).toThrow(/spec\.clusterID: cluster ID .* is not a DNS-1123 label/);
    }
  });

  it('nftlens generate prints the resource and exits 0; exit 2 with a located error on overlap', async () => {
    const ok = await cli(['generate', '-f', `${dir}three-consumers.yaml`, '-o', 'json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual(gen('three-consumers').resource);
    expect(ok.stderr).toContain('3 consumer(s), 7 offloaded pod(s): proved isolated');
    const bad = await cli(['generate', '-f', `${dir}overlapping-cidrs.yaml`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error\[PEERING_OVERLAP\] .*overlapping-cidrs\.yaml resource Configuration liqo-tenant-venice\/venice, field status\.remote\.cidr\.pod/m);
    expect((await cli(['generate'])).code).toBe(2);
    expect(policyYaml(gen('one-consumer').resource)).toContain('name: allow-venice-1');
    expect(protectionPolicy({ consumers: [], notes: [] }).spec).toBeDefined();
  });
});
