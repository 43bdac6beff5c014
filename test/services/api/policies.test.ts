// Policy routes through real HTTP: list, read, create, replace (swapped in: a request in flight
// finishes on the old policy), delete; invalid policies answered with the CLI's own diagnostics;
// names, content types and the bearer token checked.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSources } from '../../../src/frontends/load.js';
import { NftlensError } from '../../../src/model/diagnostics.js';
import { heavyPolicy, serve, type Served } from './support.js';

const example = (f: string) => readFile(fileURLToPath(new URL(`../../../examples/${f}`, import.meta.url)), 'utf8');
const fixture = (f: string) => readFile(fileURLToPath(new URL(`../../../docs/examples/${f}`, import.meta.url)), 'utf8');

describe('policies', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve();
  });
  afterAll(() => s.close());

  it('lists the embedded examples and reads one with its chains, rules and warnings', async () => {
    const list = await s.req('/v1/policies');
    expect(list.status).toBe(200);
    expect(list.json.policies).toEqual([expect.objectContaining({ name: 'examples', version: 1, summary: { tables: 2, chains: 2, baseChains: 2, rules: 14 }, warnings: 1 })]);
    const one = await s.req('/v1/policies/examples');
    expect(one.status).toBe(200);
    expect(one.json.diagnostics.map((d: { code: string }) => d.code)).toEqual(['ENGINE_ORDER']);
    const rules = one.json.chains.flatMap((c: { rules: unknown[] }) => c.rules);
    expect(rules).toHaveLength(14);
    expect(rules[0]).toMatchObject({ id: 0, label: 'ip provider-protection offloaded-pods-only rule allow-venice-to-10-42-1-15', origin: { line: 24 } });
    expect(rules[0].nft).toContain('ip daddr 10.42.1.15');
  });

  it('creates (201) from YAML, replaces (200, version 2) from nft JSON, deletes, then 404', async () => {
    const yaml = await example('provider-protect-single-consumer.yaml');
    const created = await s.req('/v1/policies/venice', { method: 'PUT', body: yaml, type: 'application/yaml' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'venice', version: 1, files: ['policies/venice'], summary: { rules: 6 } });
    const nft = heavyPolicy(3);
    const replaced = await s.req('/v1/policies/venice', { method: 'PUT', body: nft, type: 'application/json' });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ name: 'venice', version: 2, summary: { tables: 1, rules: 3 } });
    expect((await s.req('/v1/policies')).json.policies.map((p: { name: string }) => p.name)).toEqual(['examples', 'venice']);
    const gone = await s.req('/v1/policies/venice', { method: 'DELETE' });
    expect(gone).toMatchObject({ status: 200, json: { deleted: 'venice' } });
    expect((await s.req('/v1/policies/venice')).json.error.code).toBe('NOT_FOUND');
    expect((await s.req('/v1/policies/venice', { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses an invalid policy with 422 and exactly the diagnostics the CLI gives, keeping the old one', async () => {
    const text = await fixture('mss-clamp-without-proto.yaml');
    let expected: unknown;
    try {
      loadSources([{ file: 'policies/examples', text }]);
    } catch (e) {
      expected = (e as NftlensError).diagnostics;
    }
    expect(expected).toBeDefined();
    const r = await s.req('/v1/policies/examples', { method: 'PUT', body: text, type: 'text/yaml' });
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe('INVALID_POLICY');
    expect(r.json.error.diagnostics).toEqual(expected);
    expect(r.json.error.diagnostics[0]).toMatchObject({ code: 'LIQO_MSS_CLAMP', origin: { file: 'policies/examples', line: 27, column: 13 } });
    expect((await s.req('/v1/policies/examples')).json.version).toBe(1);
    const broken = await s.req('/v1/policies/x', { method: 'PUT', body: '{"nftables": [', type: 'application/json' });
    expect(broken.status).toBe(422);
    expect(broken.json.error.diagnostics[0].origin.file).toBe('policies/x');
  });

  it('refuses bad names, empty bodies and other content types', async () => {
    const bad = await s.req('/v1/policies/..%2Fetc', { method: 'PUT', body: 'x', type: 'text/yaml' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'SCHEMA', pointer: '/name' });
    expect((await s.req(`/v1/policies/${'a'.repeat(64)}`)).json.error.pointer).toBe('/name');
    const empty = await s.req('/v1/policies/e', { method: 'PUT', body: '', type: 'text/yaml' });
    expect(empty.status).toBe(400);
    const octets = await s.req('/v1/policies/e', { method: 'PUT', body: 'x', type: 'application/octet-stream' });
    expect(octets).toMatchObject({ status: 415, json: { error: { code: 'UNSUPPORTED_MEDIA' } } });
    const query = await s.req('/v1/policies/e?nameRules=yes', { method: 'PUT', body: 'x', type: 'text/yaml' });
    expect(query.json.error).toMatchObject({ code: 'SCHEMA', pointer: '/nameRules' });
  });

  it('finishes a request in flight on the policy it started with when the policy is replaced', async () => {
    const old = s.services.store.get('examples')!;
    const slow = await s.req('/v1/policies/slow', { method: 'PUT', body: heavyPolicy(400), type: 'application/json' });
    expect(slow.status).toBe(201);
    const analysis = s.req('/v1/policies/slow/analyze', { json: {} });
    for (let i = 0; i < 200 && s.services.runner.busy === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.services.runner.busy).toBe(1);
    const swapped = await s.req('/v1/policies/slow', { method: 'PUT', body: heavyPolicy(2), type: 'application/json' });
    expect(swapped.json.version).toBe(2);
    const r = await analysis;
    expect(r.status).toBe(200);
    expect(r.json.summary.rules).toBe(400); // the old policy's
    expect((await s.req('/v1/policies/slow/analyze', { json: {} })).json.summary.rules).toBe(2);
    // The store swaps objects: a holder of the old one still evaluates on it.
    expect(s.services.store.get('examples')).toBe(old);
    await s.req('/v1/policies/slow', { method: 'DELETE' });
  });
});

describe('a server with a token', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve({ token: 's3cret-token' });
  });
  afterAll(() => s.close());

  it('requires it for PUT and DELETE, not for reads', async () => {
    const yaml = await example('provider-protect-single-consumer.yaml');
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 's3cret-token' }, { authorization: 'Basic s3cret-token' }]) {
      const r = await s.req('/v1/policies/venice', { method: 'PUT', body: yaml, type: 'text/yaml', headers });
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe('UNAUTHORIZED');
      expect((await s.req('/v1/policies/examples', { method: 'DELETE', headers })).status).toBe(401);
    }
    expect(s.services.store.names()).toEqual(['examples']);
    const auth = { authorization: 'Bearer s3cret-token' };
    expect((await s.req('/v1/policies/venice', { method: 'PUT', body: yaml, type: 'text/yaml', headers: auth })).status).toBe(201);
    expect((await s.req('/v1/policies')).status).toBe(200);
    expect((await s.req('/v1/policies/examples/evaluate', { json: { packet: 'tcp 10.0.0.1:1 -> 10.0.0.2:2' } })).status).toBe(200);
    expect((await s.req('/v1/policies/venice', { method: 'DELETE', headers: auth })).status).toBe(200);
  });
});
