// The fake API server proven with a client nobody here wrote: the real kubectl creates the real
// Liqo CRD and every valid Liqo fixture and example through it, then gets, lists with selectors,
// watches, patches (merge and JSON), edits status through the subresource, replaces with a stale
// resourceVersion (409) and deletes with a finalizer — and each answer is checked.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { sharedCorpus } from '../corpus.js';
import { kubectl, kubectlStream, noKubectl } from '../kubectl.js';
import { startKubeFake, type KubeFake } from './index.js';

const CRD = 'deploy/crds/networking.liqo.io_firewallconfigurations.yaml';
const VALID = sharedCorpus('fixtures/liqo/valid/');
const INVALID = sharedCorpus('fixtures/liqo/invalid/');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(dir, f));
}

type Obj = Record<string, any>;

/** The FirewallConfigurations the files hold (documents and List items), as sorted namespace/name keys. */
function resourceKeys(files: string[]): string[] {
  const keys = new Set<string>();
  for (const f of files) for (const d of parseAllDocuments(readFileSync(f, 'utf8'))) {
    const o = d.toJS() as Obj | null;
    for (const item of o?.kind === 'List' ? o.items : [o]) if (item?.kind === 'FirewallConfiguration') keys.add(`${item.metadata.namespace ?? 'default'}/${item.metadata.name}`);
  }
  return [...keys].sort();
}

function namespacesOf(files: string[]): string[] {
  const out = new Set<string>();
  for (const f of files) for (const d of parseAllDocuments(readFileSync(f, 'utf8'))) {
    const ns = (d.toJS() as { metadata?: { namespace?: string } } | null)?.metadata?.namespace;
    if (ns) out.add(ns);
  }
  return [...out];
}

const nsDoc = (names: string[]) => names.map((n) => `---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${n}\n`).join('');

describe.skipIf(noKubectl)('kubectl against the fake API server', () => {
  let api: KubeFake;
  let config: string;
  const k = (args: string[], input?: string, env?: Record<string, string>) => kubectl(config, args, input, env);
  const fixtures = [...(VALID ? yamlFiles(VALID) : []), ...yamlFiles('examples')];

  beforeAll(async () => {
    api = await startKubeFake({ bookmarkIntervalMs: 200 });
    config = api.writeKubeconfig();
    const crd = await k(['apply', '-f', CRD]);
    expect(crd.stderr).toBe('');
    expect(crd.stdout).toContain('customresourcedefinition.apiextensions.k8s.io/firewallconfigurations.networking.liqo.io created');
    const ns = await k(['apply', '-f', '-'], nsDoc(namespacesOf([...fixtures, ...(INVALID ? yamlFiles(INVALID) : [])])));
    expect(ns.code, ns.stderr).toBe(0);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('refuses a client without the token, as an API server does', async () => {
    const r = await kubectl(api.writeKubeconfig('wrong-token'), ['get', 'fwcfg', '-A']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Unauthorized|must be logged in/);
  });

  it('discovers the CRD: api-resources lists FirewallConfiguration with its short names', async () => {
    const r = await k(['api-resources', '--api-group=networking.liqo.io', '-o', 'wide']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/firewallconfigurations\s+fw,fwconfig,fwcfg\s+networking\.liqo\.io\/v1beta1\s+true\s+FirewallConfiguration/);
  });

  it('creates every valid Liqo fixture, applies the examples, and lists them back (-o json), defaults applied', async () => {
    const shared = VALID ? yamlFiles(VALID) : [];
    for (const f of fixtures) {
      // The examples repeat some fixtures' resources: apply (create or update) rather than create.
      const r = await k([shared.includes(f) ? 'create' : 'apply', '-f', f]);
      expect(r.code, `${f}: ${r.stderr}`).toBe(0);
      expect(r.stdout, f).toMatch(/ (created|configured|unchanged)\n/);
    }
    const list = await k(['get', 'fwcfg', '-A', '-o', 'json']);
    expect(list.code, list.stderr).toBe(0);
    const items = JSON.parse(list.stdout).items;
    expect(items.map((o: Obj) => `${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual(resourceKeys(fixtures));
    for (const o of items) {
      expect(o.metadata.resourceVersion).toMatch(/^\d+$/);
      for (const c of o.spec.table.chains ?? []) {
        expect(typeof c.priority).toBe('number'); // the CRD's default: 0
        for (const r of c.rules?.filterRules ?? []) expect(typeof r.counter).toBe('boolean'); // default: true
      }
    }
  });

  it('answers label selectors (=, !=, in, existence) like an API server', async () => {
    const all = JSON.parse((await k(['get', 'fwcfg', '-A', '-o', 'json'])).stdout).items as { metadata: { name: string; labels?: Record<string, string> } }[];
    const cat = (o: (typeof all)[number]) => o.metadata.labels?.['networking.liqo.io/firewall-category'];
    const names = async (sel: string) => JSON.parse((await k(['get', 'fwcfg', '-A', '-l', sel, '-o', 'json'])).stdout).items.map((o: { metadata: { name: string } }) => o.metadata.name).sort();
    const expectNames = (pred: (o: (typeof all)[number]) => boolean) => all.filter(pred).map((o) => o.metadata.name).sort();
    expect(await names('networking.liqo.io/firewall-category=gateway')).toEqual(expectNames((o) => cat(o) === 'gateway'));
    expect(await names('networking.liqo.io/firewall-category!=gateway')).toEqual(expectNames((o) => cat(o) !== 'gateway'));
    expect(await names('networking.liqo.io/firewall-category in (gateway,fabric)')).toEqual(expectNames((o) => cat(o) === 'gateway' || cat(o) === 'fabric'));
    expect(await names('!networking.liqo.io/firewall-unique')).toEqual(expectNames((o) => !o.metadata.labels?.['networking.liqo.io/firewall-unique']));
    expect((await names('networking.liqo.io/firewall-category=gateway')).length).toBeGreaterThan(0);
  });

  it('gets one resource as YAML and by field selector, and prints a table', async () => {
    const y = await k(['get', 'fw', 'venice-provider-protection', '-n', 'liqo-tenant-venice', '-o', 'yaml']);
    expect(y.code, y.stderr).toBe(0);
    expect(y.stdout).toContain('name: provider-protection-venice');
    const byField = await k(['get', 'fwcfg', '-A', '--field-selector', 'metadata.namespace=liqo-tenant-venice,metadata.name=venice-provider-protection', '-o', 'name']);
    expect(byField.stdout.trim()).toBe('firewallconfiguration.networking.liqo.io/venice-provider-protection');
    const bad = await k(['get', 'fwcfg', '-A', '--field-selector', 'spec.table.name=x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('field label not supported: spec.table.name');
    const table = await k(['get', 'fwcfg', '-n', 'liqo-tenant-venice']);
    expect(table.stdout).toMatch(/^NAME\s+AGE\n/);
    const missing = await k(['get', 'fw', 'nope', '-n', 'liqo-tenant-venice']);
    expect(missing.stderr).toContain('firewallconfigurations.networking.liqo.io "nope" not found');
  });

  it('pages a list with --chunk-size (limit and continue) without losing or repeating anything', async () => {
    const whole = JSON.parse((await k(['get', 'fwcfg', '-A', '-o', 'json'])).stdout).items.map((o: { metadata: { uid: string } }) => o.metadata.uid);
    const before = api.audit.length;
    const paged = JSON.parse((await k(['get', 'fwcfg', '-A', '-o', 'json', '--chunk-size=2'])).stdout).items.map((o: { metadata: { uid: string } }) => o.metadata.uid);
    expect(paged).toEqual(whole);
    const lists = api.audit.slice(before).filter((a) => a.verb === 'list' && a.resource === 'firewallconfigurations');
    expect(lists.length).toBe(Math.ceil(whole.length / 2));
    expect(lists.slice(1).every((a) => a.query.includes('continue='))).toBe(true);
  });

  it('watch (kubectl get -w) sees ADDED, MODIFIED and DELETED in order; patches merge and JSON; generation follows spec only', async () => {
    const ns = ['-n', 'liqo-tenant-rome'];
    const watch = kubectlStream(config, ['get', 'fwcfg', ...ns, '-w', '--output-watch-events', '-o', 'json']);
    try {
      await waitFor(() => api.audit.some((a) => a.verb === 'watch' && a.namespace === 'liqo-tenant-rome'));
      const doc = `apiVersion: networking.liqo.io/v1beta1\nkind: FirewallConfiguration\nmetadata:\n  name: watched\n  namespace: liqo-tenant-rome\nspec:\n  table:\n    name: watched\n    family: IPV4\n    chains:\n    - name: fwd\n      type: filter\n      hook: forward\n      policy: accept\n      rules:\n        filterRules:\n        - name: r1\n          action: drop\n          match:\n          - op: eq\n            ip: {position: dst, value: 10.0.0.1}\n`;
      expect((await k(['create', '-f', '-'], doc)).code).toBe(0);
      const merge = await k(['patch', 'fw', 'watched', ...ns, '--type', 'merge', '-p', '{"metadata":{"labels":{"stage":"one"}}}']);
      expect(merge.stdout).toContain('patched');
      const json = await k(['patch', 'fw', 'watched', ...ns, '--type', 'json', '-p', '[{"op":"replace","path":"/spec/table/chains/0/policy","value":"drop"}]']);
      expect(json.stdout).toContain('patched');
      const failedTest = await k(['patch', 'fw', 'watched', ...ns, '--type', 'json', '-p', '[{"op":"test","path":"/spec/table/chains/0/policy","value":"accept"}]']);
      expect(failedTest.code).toBe(1);
      const strategic = await k(['patch', 'fw', 'watched', ...ns, '-p', '{"metadata":{"labels":{"x":"y"}}}']);
      expect(strategic.stderr).toMatch(/UnsupportedMediaType|json merge patch|application\/strategic-merge-patch\+json/i);
      expect((await k(['delete', 'fw', 'watched', ...ns])).code).toBe(0);
      await waitFor(() => watch.out().includes('"DELETED"'));
      const events = parseEvents(watch.out()).filter((e) => e.object.metadata.name === 'watched');
      expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'DELETED']);
      expect(events.map((e) => e.object.metadata.generation)).toEqual([1, 1, 2, 2]);
      expect(events[1].object.metadata.labels).toEqual({ stage: 'one' });
      const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
      expect(rvs.slice(0, 3)).toEqual([...rvs.slice(0, 3)].sort((a, b) => a - b));
    } finally {
      watch.child.kill();
    }
  });

  it('status goes through the subresource only: kubectl edit/patch --subresource=status', async () => {
    const ns = ['-n', 'liqo-tenant-venice'];
    const name = 'venice-provider-protection';
    const ignored = await k(['patch', 'fw', name, ...ns, '--type', 'merge', '-p', '{"status":{"conditions":[{"host":"a","type":"Applied","status":"True"}]}}']);
    expect(ignored.stdout).toContain('(no change)');
    const set = await k(['patch', 'fw', name, ...ns, '--subresource=status', '--type', 'merge', '-p', '{"status":{"conditions":[{"host":"gw-a","type":"Applied","status":"True"}]},"spec":{"table":{"name":"changed"}}}']);
    expect(set.code, set.stderr).toBe(0);
    const edit = await k(['edit', 'fw', name, ...ns, '--subresource=status'], undefined, { KUBE_EDITOR: 'sed -i s/Applied/Error/', EDITOR: 'sed -i s/Applied/Error/' });
    expect(edit.code, edit.stderr).toBe(0);
    const o = JSON.parse((await k(['get', 'fw', name, ...ns, '-o', 'json'])).stdout);
    expect(o.status.conditions).toEqual([{ host: 'gw-a', type: 'Error', status: 'True' }]);
    expect(o.spec.table.name).toBe('provider-protection-venice');
    expect(o.metadata.generation).toBe(1);
  });

  it('replace with a stale resourceVersion is a 409 Conflict', async () => {
    const ns = ['-n', 'liqo-tenant-venice'];
    const o = JSON.parse((await k(['get', 'fw', 'venice-provider-protection', ...ns, '-o', 'json'])).stdout);
    expect((await k(['label', 'fw', 'venice-provider-protection', ...ns, 'touched=yes'])).code).toBe(0);
    o.metadata.labels.stale = 'yes';
    const r = await k(['replace', '-f', '-'], JSON.stringify(o));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Operation cannot be fulfilled on firewallconfigurations.networking.liqo.io "venice-provider-protection": the object has been modified');
  });

  it('delete with a finalizer leaves the resource, marked, until the finalizer is removed', async () => {
    const ns = ['-n', 'liqo-tenant-venice'];
    const name = 'venice-provider-protection';
    await k(['patch', 'fw', name, ...ns, '--type', 'merge', '-p', '{"metadata":{"finalizers":["nftlens.io/gw-a"]}}']);
    expect((await k(['delete', 'fw', name, ...ns, '--wait=false'])).code).toBe(0);
    const marked = JSON.parse((await k(['get', 'fw', name, ...ns, '-o', 'json'])).stdout);
    expect(marked.metadata.deletionTimestamp).toMatch(/Z$/);
    const add = await k(['patch', 'fw', name, ...ns, '--type', 'json', '-p', '[{"op":"add","path":"/metadata/finalizers/-","value":"late"}]']);
    expect(add.stderr).toContain('no new finalizers can be added if the object is being deleted');
    expect((await k(['patch', 'fw', name, ...ns, '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/finalizers/0"}]'])).code).toBe(0);
    const gone = await k(['get', 'fw', name, ...ns]);
    expect(gone.stderr).toContain('not found');
  });

  it('applies (client-side) twice: create, then a JSON merge patch for the custom resource', async () => {
    const file = join(VALID ?? 'examples', VALID ? 'gw-mss-clamping.yaml' : 'provider-protect-single-consumer.yaml');
    const text = readFileSync(file, 'utf8');
    const first = await k(['delete', '-f', file, '--wait=false']);
    expect(first.code, first.stderr).toBe(0);
    expect((await k(['apply', '-f', '-'], text)).stdout).toMatch(/created/);
    const before = api.audit.length;
    const changed = await k(['apply', '-f', '-'], text.replace(/priority: (-?\d+)/, (_m, p) => `priority: ${Number(p) + 1}`));
    expect(changed.stdout).toMatch(/configured/);
    expect(api.audit.slice(before).some((a) => a.verb === 'patch' && a.contentType === 'application/merge-patch+json')).toBe(true);
  });

  it.skipIf(!INVALID)('the CRD schema refuses the schema-invalid fixtures with the field named; unknown fields are refused (Strict)', async () => {
    for (const f of yamlFiles(INVALID!).filter((f) => /\/schema-/.test(f))) {
      const r = await k(['create', '-f', f]);
      expect(r.code, f).toBe(1);
      expect(r.stderr, f).toMatch(/is invalid: .*spec\.table/);
    }
    const unknown = `apiVersion: networking.liqo.io/v1beta1\nkind: FirewallConfiguration\nmetadata:\n  name: extra\n  namespace: liqo-tenant-venice\nspec:\n  bogus: 1\n  table:\n    name: t\n    family: IPV4\n`;
    const r = await k(['create', '-f', '-'], unknown);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown field "spec.bogus"');
  });
});

function parseEvents(text: string): { type: string; object: any }[] {
  const out: { type: string; object: any }[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
  }
  return out;
}

async function waitFor(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
