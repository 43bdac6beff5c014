// The webhook's focused analyses (the default: only the work whose findings could involve the
// object under review) against the full ones (every analysis over everything the gateway loads,
// then the findings filtered): the same verdict — denials and warnings, in order, witnesses
// included — on every valid Liqo fixture and on random multi-tenant sets of Liqo-shaped
// resources (overlapping addresses, drops and accepts in several tables at shared hooks,
// priority ties, same-tenant resources, updates), every check on and tenants declared.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prng } from '../../../src/model/prng.js';
import { decide, ResourceCache, type AdmissionInput, type Obj } from '../../../src/services/webhook/decide.js';
import { parsePolicy } from '../../../src/services/webhook/policy.js';
import { sharedCorpus } from '../../support/corpus.js';
import { objectsOf } from '../../support/liqo-fixtures.js';

const FIXTURES = sharedCorpus('fixtures/liqo/');

// Every finding kind on (the infos too), isolation between two declared tenants.
const POLICY = parsePolicy(
  'checks: { correlated: warn, generalization: warn, redundant: warn, tenant-overlap: warn, priority-tie: warn, accept-undone: warn, isolation: deny }\n' +
    'tenants:\n  venice: { sources: [10.112.0.0/16], destinations: [10.42.1.0/24] }\n  naples: { sources: [10.113.0.0/16], destinations: [10.42.2.0/24] }\n',
  'policy.yaml',
);

function agree(input: AdmissionInput, what: string): void {
  const fast = decide(input, POLICY);
  const full = decide(input, POLICY, { full: true });
  expect(fast, what).toEqual(full);
}

const TENANTS = ['venice', 'naples', 'rome'];
const ADDRESSES = ['10.42.1.5', '10.42.1.0/24', '10.42.2.7', '10.42.0.0/16', '10.112.0.0/16', '10.112.3.4', '10.113.0.0/16', '10.113.9.9'];
const HOOKS = ['forward', 'forward', 'forward', 'prerouting', 'postrouting', 'input'];

function randomResource(rand: () => number, i: number): Obj {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const chains = Array.from({ length: 1 + Math.floor(rand() * 2) }, (_, c) => ({
    name: `c${c}`,
    type: 'filter',
    hook: pick(HOOKS),
    priority: pick([-10, 0, 0, 10, i]),
    policy: rand() < 0.7 ? 'accept' : 'drop',
    rules: {
      filterRules: Array.from({ length: 1 + Math.floor(rand() * 4) }, (_, r) => {
        const match: Obj[] = [];
        if (rand() < 0.5) match.push({ op: 'eq', dev: { position: pick(['in', 'out']), value: pick(['liqo-tunnel', 'eth0']) } });
        match.push({ op: rand() < 0.85 ? 'eq' : 'neq', ip: { position: pick(['src', 'dst']), value: pick(ADDRESSES) } });
        if (rand() < 0.4) match.push({ op: 'eq', ip: { position: pick(['src', 'dst']), value: pick(ADDRESSES) } });
        return { name: `r${r}`, action: rand() < 0.65 ? 'accept' : pick(['drop', 'reject']), match };
      }),
    },
  }));
  return {
    apiVersion: 'networking.liqo.io/v1beta1',
    kind: 'FirewallConfiguration',
    metadata: { name: `fc${i}`, namespace: 'liqo', labels: { 'networking.liqo.io/firewall-category': rand() < 0.9 ? 'gateway' : 'fabric', 'networking.liqo.io/firewall-unique': pick(TENANTS) } },
    spec: { table: { name: `t${i}`, family: pick(['IPV4', 'IPV4', 'INET']), chains } },
  };
}

describe('the webhook\'s focused analyses decide as the full ones', () => {
  it.skipIf(!FIXTURES)('on every valid Liqo fixture (with the other resources of its file in the cluster)', () => {
    let n = 0;
    for (const f of readdirSync(join(FIXTURES!, 'valid')).sort()) {
      const objects = objectsOf(join(FIXTURES!, 'valid', f));
      for (const o of objects) {
        agree({ operation: 'CREATE', object: o, others: objects }, `${f} ${o.metadata.name}`);
        n++;
      }
    }
    expect(n).toBeGreaterThan(10);
  });

  it('on random multi-tenant sets, creates and updates', () => {
    let findings = 0;
    let breaches = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const rand = prng(seed);
      const cluster = Array.from({ length: 2 + Math.floor(rand() * 5) }, (_, i) => randomResource(rand, i));
      const object = cluster[Math.floor(rand() * cluster.length)]!;
      const others = cluster.filter((o) => o !== object);
      if (rand() < 0.3) {
        const before = randomResource(rand, cluster.indexOf(object));
        agree({ operation: 'UPDATE', object, oldObject: before, others: cluster }, `seed ${seed} (update)`);
      } else agree({ operation: 'CREATE', object, others }, `seed ${seed}`);
      const v = decide({ operation: 'CREATE', object, others }, POLICY);
      findings += v.warnings.length + v.denials.length;
      breaches += v.denials.filter((d) => d.startsWith('isolation:')).length;
    }
    // The sets are not trivially clean: the comparison covers findings and breaches.
    expect(findings).toBeGreaterThan(40);
    expect(breaches).toBeGreaterThan(0);
  });

  it('with the worker\'s cache of parsed resources, across admissions (a changed resource has a new resourceVersion)', () => {
    const rand = prng(7);
    const cluster = Array.from({ length: 5 }, (_, i) => randomResource(rand, i));
    cluster.forEach((o, i) => Object.assign(o.metadata, { uid: `uid-${i}`, resourceVersion: '1' }));
    const cache = new ResourceCache();
    const input = (object: Obj): AdmissionInput => ({ operation: 'CREATE', object, others: cluster.filter((o) => o !== object) });
    for (const object of cluster) expect(decide(input(object), POLICY, { cache })).toEqual(decide(input(object), POLICY, { full: true }));
    expect(cache.size).toBe(5);
    // Served from the cache: the same verdicts again, nothing parsed anew.
    for (const object of cluster) expect(decide(input(object), POLICY, { cache })).toEqual(decide(input(object), POLICY));
    expect(cache.size).toBe(5);
    // A resource changed by the API server (new resourceVersion) is parsed again: its new rules count.
    const changed = structuredClone(cluster[0]!);
    changed.metadata.resourceVersion = '2';
    changed.spec.table.chains[0].rules.filterRules.unshift({ name: 'all', action: 'drop', match: [{ op: 'eq', ip: { position: 'dst', value: '0.0.0.0/0' } }] });
    cluster[0] = changed;
    for (const object of cluster.slice(1)) expect(decide(input(object), POLICY, { cache })).toEqual(decide(input(object), POLICY, { full: true }));
    expect(cache.size).toBe(6);
  });
});
